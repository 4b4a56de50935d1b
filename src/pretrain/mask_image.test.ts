import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../core/host.js';
import { Rng } from '../core/random.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../data/preprocess.js';
import { MIM_INPUTS, MimMasker } from './batch.js';
import { bandStopImage, bandStopPlane, channelStats, fillMasked } from './mask_image.js';
import { chooseRings, ringGeometry, ringStopMask } from './masks.js';
import { DUAL_BRANCHES, objectiveOptions } from './options.js';

type C = [number, number];

/** Direct 2-D DFT of a complex [h, w] array of pairs (sign −1 forward, +1 inverse scaled by 1/hw). */
function dft2d(x: C[][], sign: number): C[][] {
  const [h, w] = [x.length, x[0]!.length];
  const s = sign > 0 ? 1 / (h * w) : 1;
  return Array.from({ length: h }, (_, k) => Array.from({ length: w }, (_, l) => {
    let [re, im] = [0, 0];
    for (let a = 0; a < h; a++) {
      for (let b = 0; b < w; b++) {
        const t = sign * 2 * Math.PI * (((k * a) % h) / h + ((l * b) % w) / w);
        const [xr, xi] = x[a]![b]!;
        re += xr * Math.cos(t) - xi * Math.sin(t);
        im += xr * Math.sin(t) + xi * Math.cos(t);
      }
    }
    return [re * s, im * s] as C;
  }));
}

/** torch.fft.fftshift of a 2-D array: out[i][j] = x[(i − ⌊h/2⌋) mod h][(j − ⌊w/2⌋) mod w]. */
const shift = <T>(x: T[][], dir: 1 | -1): T[][] => {
  const [h, w] = [x.length, x[0]!.length];
  const [sh, sw] = [Math.floor(h / 2) * dir, Math.floor(w / 2) * dir];
  return x.map((_, i) => x[0]!.map((__, j) => x[(((i - sh) % h) + h) % h]![(((j - sw) % w) + w) % w]!));
};

test('bandStopPlane equals fft2 → fftshift → ×(1−stop) → ifftshift → ifft2 → abs, computed directly (even, odd sizes)', () => {
  const o = objectiveOptions({ baseBw: 2, increaseFactor: 0.5, maxIncrease: 2, centerProtect: 1 });
  const rng = new Rng(3);
  for (const [h, w] of [[6, 10], [7, 5], [8, 8]] as const) {
    const g = ringGeometry(h, w, o);
    const stop = ringStopMask(g, chooseRings(rng, g.edges.length - 1, 0.5));
    const img = Array.from({ length: h }, () => Array.from({ length: w }, () => rng.next()));
    let spec = shift(dft2d(img.map((r) => r.map((v) => [v, 0] as C)), -1), 1);
    spec = spec.map((r, i) => r.map((v, j) => (stop[i * w + j] ? [0, 0] : v)));
    const want = dft2d(shift(spec, -1), 1).map((r) => r.map(([a, b]) => Math.hypot(a, b)));
    const got = Float64Array.from(img.flat());
    bandStopPlane(got, h, w, stop);
    want.flat().forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 1e-12, `${h}×${w} [${i}] ${got[i]} vs ${v}`));
    assert.ok(stop.some((v) => v === 1), 'something was removed');
  }
});

test('band-stop in pixel space: no ring removed is the identity; grey images are filtered once; a low-pass keeps the mean', () => {
  const [h, w] = [32, 24];
  const rng = new Rng(4);
  const px = Float64Array.from({ length: h * w }, () => rng.next());
  const norm = Float32Array.from({ length: 3 * h * w }, (_, i) => (px[i % (h * w)]! - IMAGENET_MEAN[Math.floor(i / (h * w))]!) / IMAGENET_STD[Math.floor(i / (h * w))]!);
  const g = ringGeometry(h, w, objectiveOptions({ baseBw: 3, centerProtect: 1.5 }));
  const same = norm.slice();
  bandStopImage(same, 3, h, w, ringStopMask(g, new Uint8Array(g.edges.length - 1)), IMAGENET_MEAN, IMAGENET_STD);
  same.forEach((v, i) => assert.ok(Math.abs(v - norm[i]!) < 1e-5));
  const removed = new Uint8Array(g.edges.length - 1).fill(1);
  removed[0] = 0;
  const cut = norm.slice();
  bandStopImage(cut, 3, h, w, ringStopMask(g, removed), IMAGENET_MEAN, IMAGENET_STD);
  // The grey shortcut (one transform for all channels) gives what filtering each channel alone gives.
  const one = Float64Array.from(px);
  bandStopPlane(one, h, w, ringStopMask(g, removed));
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < h * w; i++) assert.ok(Math.abs(cut[c * h * w + i]! - (one[i]! - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!) < 1e-5);
  }
  // A low-pass of a non-negative image: its pixel-space mean is (about) kept, its variance drops.
  const before = channelStats(norm, 3);
  const after = channelStats(cut, 3);
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(after.mean[c]! - before.mean[c]!) < 0.05 * before.std[c]!, `channel ${c} mean`);
    assert.ok(after.std[c]! < 0.5 * before.std[c]!, `channel ${c} std ${after.std[c]} vs ${before.std[c]}`);
  }
});

test('fillMasked: mean fill is exact, noise fill has the image statistics, channels share the noise', () => {
  const [c, n] = [3, 4096];
  const rng = new Rng(5);
  const grey = Float64Array.from({ length: n }, () => rng.next() ** 2);
  const img = Float32Array.from({ length: c * n }, (_, i) => (grey[i % n]! - IMAGENET_MEAN[Math.floor(i / n)]!) / IMAGENET_STD[Math.floor(i / n)]!);
  const mask = Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const st = channelStats(img, c);
  const meanFill = img.slice();
  fillMasked(meanFill, c, mask, 0, rng);
  for (let i = 0; i < c * n; i++) assert.equal(meanFill[i], mask[i % n] ? Math.fround(st.mean[Math.floor(i / n)]!) : img[i]);
  const noisy = img.slice();
  fillMasked(noisy, c, mask, 1, rng);
  for (let ch = 0; ch < c; ch++) {
    const vals = Array.from({ length: n }, (_, i) => i).filter((i) => mask[i]).map((i) => noisy[ch * n + i]!);
    const m = vals.reduce((a, b) => a + b) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length);
    assert.ok(Math.abs(m - st.mean[ch]!) < 0.1 * st.std[ch]! && Math.abs(sd / st.std[ch]! - 1) < 0.1, `channel ${ch}: ${m}±${sd}`);
  }
  // Back in pixel space the three channels of a filled pixel agree: the image stays grey.
  for (let i = 0; i < n; i += 4) {
    const v = [0, 1, 2].map((ch) => noisy[ch * n + i]! * IMAGENET_STD[ch]! + IMAGENET_MEAN[ch]!);
    assert.ok(Math.abs(v[0]! - v[1]!) < 1e-5 && Math.abs(v[0]! - v[2]!) < 1e-5);
  }
});

function images(b: number, h: number, w: number, seed: number): HostTensor<'float32'> {
  const rng = new Rng(seed);
  return { dtype: 'float32', shape: [b, 3, h, w], data: Float32Array.from({ length: b * 3 * h * w }, () => rng.normal()) };
}

test('MimMasker: feeds, per-branch masks, token masks, determinism per seed', () => {
  const cfg = { imgSize: [64, 96] as const, patchSize: 16, inChans: 3 };
  const x = images(12, 64, 96, 1);
  for (const fill of ['mean', 'noise', 'token'] as const) {
    const o = objectiveOptions({ fill, maskUnit: 32, maskRatio: 0.5, baseBw: 4, centerProtect: 2, branch: DUAL_BRANCHES });
    const a = new MimMasker(cfg, o, 7).prepare(x);
    const b = new MimMasker(cfg, o, 7).prepare(x);
    for (const k of Object.keys(a.feeds)) assert.deepEqual(a.feeds[k]!.data, b.feeds[k]!.data, `${fill} ${k}`);
    assert.deepEqual(a.feeds[MIM_INPUTS.target], x);
    assert.deepEqual(Object.keys(a.feeds).includes(MIM_INPUTS.tokenMask), fill === 'token');
    const plane = 64 * 96;
    a.masks.forEach((m, i) => {
      const pm = a.feeds[MIM_INPUTS.pixelMask]!.data.subarray(i * plane, (i + 1) * plane);
      const masked = pm.reduce((s, v) => s + v, 0);
      assert.equal(masked, m.branch === 'frequency' ? 0 : 3 * 32 * 32, `${fill} image ${i} (${m.branch})`);
      assert.equal(a.feeds[MIM_INPUTS.freqWeight]!.data[i], m.branch === 'spatial' ? 0 : 1);
      const xin = a.feeds[MIM_INPUTS.pixels]!.data.subarray(i * 3 * plane, (i + 1) * 3 * plane);
      const orig = x.data.subarray(i * 3 * plane, (i + 1) * 3 * plane);
      if (m.branch === 'spatial') {
        // Pixels outside the mask are untouched; with token fill nothing is.
        for (let j = 0; j < 3 * plane; j++) if (fill === 'token' || !pm[j % plane]) assert.equal(xin[j], orig[j]);
      }
      if (fill === 'token') {
        const tm = a.feeds[MIM_INPUTS.tokenMask]!.data.subarray(i * 24, (i + 1) * 24);
        assert.equal(tm.reduce((s, v) => s + v, 0), m.branch === 'frequency' ? 0 : 12);
      }
    });
    assert.ok(new Set(a.masks.map((m) => m.branch)).size === 3, 'all three branches drawn');
    const c = new MimMasker(cfg, o, 8).prepare(x);
    assert.notDeepEqual(c.feeds[MIM_INPUTS.pixelMask]!.data, a.feeds[MIM_INPUTS.pixelMask]!.data);
  }
  assert.throws(() => new MimMasker({ ...cfg, patchSize: 16 }, objectiveOptions({ fill: 'token', maskUnit: 24 }), 0), /multiple of the mask unit|multiple of the patch/);
  assert.throws(() => new MimMasker(cfg, objectiveOptions(), 0).prepare(images(1, 64, 64, 0)), /expected pixel_values/);
});

test('MimMasker: frequency masking of a [0,1] image batch with freqRatio 0 is the identity', () => {
  const cfg = { imgSize: [32, 32] as const, patchSize: 16, inChans: 3 };
  const rng = new Rng(2);
  const px = Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => (rng.next() - IMAGENET_MEAN[Math.floor(i / 1024) % 3]!) / IMAGENET_STD[Math.floor(i / 1024) % 3]!);
  const x: HostTensor<'float32'> = { dtype: 'float32', shape: [2, 3, 32, 32], data: px };
  const m = new MimMasker(cfg, objectiveOptions({ freqRatio: 0, branch: { spatial: 0, frequency: 1, both: 0 } }), 1).prepare(x);
  m.feeds[MIM_INPUTS.pixels]!.data.forEach((v, i) => assert.ok(Math.abs(v - px[i]!) < 2e-6));
  assert.deepEqual(Array.from(m.feeds[MIM_INPUTS.freqWeight]!.data), [1, 1]);
});
