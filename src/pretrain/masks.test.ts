import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../core/random.js';
import {
  chooseBranch, chooseRings, outerRadius, pixelMask, ringEdges, ringGeometry, ringStopMask, spatialUnitMask, spectrumCentre, tokenMask,
} from './masks.js';
import { DEFAULT_OBJECTIVE, objectiveOptions } from './options.js';

const sum = (a: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]!; return s; };

test('spatial unit masks: exactly ceil(ratio·units) masked (SimMIM), deterministic per seed', () => {
  for (const [h, w, unit, ratio, want] of [[224, 224, 32, 0.6, 30], [192, 192, 32, 0.6, 22], [32, 32, 16, 0.5, 2], [160, 64, 32, 0.3, 3], [64, 64, 32, 0, 0], [64, 64, 32, 1, 4]] as const) {
    const m = spatialUnitMask(new Rng(5), h, w, unit, ratio);
    assert.equal(m.rows * m.cols, (h / unit) * (w / unit));
    assert.equal(sum(m.bits), want, `${h}×${w}/${unit} at ${ratio}`);
  }
  const a = spatialUnitMask(new Rng(9), 224, 224, 32, 0.6).bits;
  assert.deepEqual(spatialUnitMask(new Rng(9), 224, 224, 32, 0.6).bits, a);
  assert.notDeepEqual(spatialUnitMask(new Rng(10), 224, 224, 32, 0.6).bits, a);
  // Every unit is masked about equally often.
  const rng = new Rng(3);
  const hits = new Float64Array(49);
  for (let t = 0; t < 2000; t++) spatialUnitMask(rng, 224, 224, 32, 0.6).bits.forEach((b, i) => { hits[i]! += b; });
  for (const hcount of hits) assert.ok(Math.abs(hcount / 2000 - 30 / 49) < 0.05);
  assert.throws(() => spatialUnitMask(rng, 200, 224, 32, 0.6), /multiple of the mask unit/);
});

test('unit masks expand to constant pixel blocks and to the patch-token grid', () => {
  const m = spatialUnitMask(new Rng(1), 96, 64, 32, 0.5);
  const px = pixelMask(m);
  assert.equal(px.length, 96 * 64);
  assert.equal(sum(px), sum(m.bits) * 32 * 32);
  for (let y = 0; y < 96; y++) for (let x = 0; x < 64; x++) assert.equal(px[y * 64 + x], m.bits[Math.floor(y / 32) * 2 + Math.floor(x / 32)]);
  const tok = tokenMask(m, 16);
  assert.equal(tok.length, 6 * 4);
  // The token of patch (r, c) agrees with the pixel mask at the patch's centre.
  for (let r = 0; r < 6; r++) for (let c = 0; c < 4; c++) assert.equal(tok[r * 4 + c], px[(r * 16 + 8) * 64 + c * 16 + 8]);
  assert.throws(() => tokenMask(spatialUnitMask(new Rng(1), 48, 48, 24, 0.5), 16), /multiple of the patch size/);
});

test('ring radii: the official schedule from base_bw, capped growth, up to the corner or the inscribed circle', () => {
  const o = DEFAULT_OBJECTIVE;
  assert.deepEqual(ringEdges(224, 224, o), [4, 8, 12, 18, 27, 40, 56, 72, 88, 104, 120, 136, 152, 168]);
  assert.ok(outerRadius(224, 224, 'corner') > 158 && 168 >= outerRadius(224, 224, 'corner') && 152 < outerRadius(224, 224, 'corner'));
  assert.deepEqual(ringEdges(224, 224, { ...o, outerRadius: 'inscribed' }), [4, 8, 12, 18, 27, 40, 56, 72, 88, 104, 120]);
  // Growth below 1 bin still advances by 1; the protected disk swallows radii inside it.
  assert.deepEqual(ringEdges(16, 16, { ...o, baseBw: 2, increaseFactor: 0.1, centerProtect: 3.5 }), [3.5, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(ringEdges(32, 32, { ...o, baseBw: 3, increaseFactor: 1, maxIncrease: 5, centerProtect: 0 }), [0, 3, 6, 11, 16, 21, 26]);
});

test('ring geometry: centre protected, each bin in the ring of its radius, point-symmetric masks, floor(ratio·rings) removed', () => {
  for (const [h, w] of [[224, 224], [32, 24], [15, 9]] as const) {
    const o = objectiveOptions({ baseBw: 3, increaseFactor: 0.5, maxIncrease: 4, centerProtect: 2 });
    const g = ringGeometry(h, w, o);
    const [ch, cw] = spectrumCentre(h, w);
    const n = g.edges.length - 1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d = Math.hypot(y - ch, x - cw);
        const k = g.index[y * w + x]!;
        if (d <= 2) assert.equal(k, -1, `centre bin (${y},${x})`);
        else {
          assert.ok(k >= 0 && k < n, `bin (${y},${x}) d=${d} has ring ${k}`);
          assert.ok(d > g.edges[k]! - 1e-9 && d <= g.edges[k + 1]! + 1e-9);
        }
      }
    }
    const rng = new Rng(h);
    for (const ratio of [0, 0.3, 0.5, 1]) {
      const removed = chooseRings(rng, n, ratio);
      assert.equal(sum(removed), Math.floor(ratio * n + 1e-9));
      const stop = ringStopMask(g, removed);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          // Frequency −f sits at index (2c − i) mod n: a symmetric mask keeps the filtered image real.
          assert.equal(stop[y * w + x], stop[((2 * ch - y + h) % h) * w + ((2 * cw - x + w) % w)]);
          if (Math.hypot(y - ch, x - cw) <= 2) assert.equal(stop[y * w + x], 0);
        }
      }
      if (ratio === 1) assert.equal(sum(stop), Array.from(g.index).filter((k) => k >= 0).length);
    }
  }
  const a = chooseRings(new Rng(4), 13, 0.5);
  assert.deepEqual(chooseRings(new Rng(4), 13, 0.5), a);
});

test('branch choice follows the configured probabilities', () => {
  const rng = new Rng(11);
  const p = { spatial: 0.5, frequency: 0.2, both: 0.3 };
  const count = { spatial: 0, frequency: 0, both: 0 };
  for (let i = 0; i < 20000; i++) count[chooseBranch(rng, p)]++;
  for (const k of ['spatial', 'frequency', 'both'] as const) assert.ok(Math.abs(count[k] / 20000 - p[k]) < 0.015, `${k} ${count[k]}`);
  for (let i = 0; i < 100; i++) assert.equal(chooseBranch(rng, { spatial: 0, frequency: 1, both: 0 }), 'frequency');
  assert.throws(() => objectiveOptions({ branch: { spatial: 0.5, frequency: 0.2, both: 0.2 } }), /sum to 1/);
});
