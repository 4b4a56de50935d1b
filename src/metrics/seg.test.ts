import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundaryMask, squaredEdt } from './edt.js';
import { hd95, percentile, segMetrics, summarise, type SegMetrics, type Spacing } from './seg.js';

const H = 32;
const W = 32;

function rect(y0: number, x0: number, h: number, w: number, height = H, width = W, value = 1): Uint8Array {
  const m = new Uint8Array(height * width);
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) m[y * width + x] = value;
  return m;
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Brute-force O(n²) HD95 reference: own boundary, own percentile. */
function bruteHd95(p: Uint8Array, g: Uint8Array, h: number, w: number, sp: Spacing = [1, 1]): number {
  const pts = (m: Uint8Array): [number, number][] => {
    const out: [number, number][] = [];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!m[y * w + x]) continue;
        const bg = (yy: number, xx: number): boolean => yy < 0 || yy >= h || xx < 0 || xx >= w || !m[yy * w + xx];
        if (bg(y - 1, x) || bg(y + 1, x) || bg(y, x - 1) || bg(y, x + 1)) out.push([y, x]);
      }
    }
    return out;
  };
  const a = pts(p);
  const b = pts(g);
  const directed = (from: [number, number][], to: [number, number][]): number[] =>
    from.map(([y, x]) => Math.min(...to.map(([yy, xx]) => Math.hypot((y - yy) * sp[0], (x - xx) * sp[1]))));
  const all = [...directed(a, b), ...directed(b, a)].sort((u, v) => u - v);
  const pos = 0.95 * (all.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, all.length - 1);
  return all[lo]! + (pos - lo) * (all[hi]! - all[lo]!);
}

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('squaredEdt', () => {
  it('matches brute force on random sites with anisotropic spacing', () => {
    const r = rng(7);
    for (const [h, w, sp] of [[17, 23, [1, 1]], [20, 13, [0.7, 1.9]], [1, 9, [2, 3]], [9, 1, [0.5, 1]]] as const) {
      const sites = new Uint8Array(h * w);
      for (let i = 0; i < sites.length; i++) sites[i] = r() < 0.08 ? 1 : 0;
      sites[0] = 1;
      const d = squaredEdt(sites, h, w, sp);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let best = Infinity;
          for (let j = 0; j < sites.length; j++) {
            if (!sites[j]) continue;
            const yy = Math.floor(j / w);
            const xx = j % w;
            best = Math.min(best, ((y - yy) * sp[0]) ** 2 + ((x - xx) * sp[1]) ** 2);
          }
          close(d[y * w + x]!, best, 1e-9);
        }
      }
    }
  });

  it('is all Infinity without sites', () => {
    assert.ok(squaredEdt(new Uint8Array(12), 3, 4).every((v) => v === Infinity));
  });
});

describe('boundaryMask', () => {
  it('keeps the ring of a square and treats the image edge as background', () => {
    const b = boundaryMask(rect(2, 2, 4, 4, 8, 8), 8, 8);
    assert.equal(b.reduce((s, v) => s + v, 0), 12);
    const full = boundaryMask(new Uint8Array(9).fill(3), 3, 3);
    assert.deepEqual([...full], [1, 1, 1, 1, 0, 1, 1, 1, 1]);
  });
});

describe('segMetrics', () => {
  it('perfect prediction', () => {
    const m = segMetrics(rect(4, 4, 10, 10), rect(4, 4, 10, 10), H, W);
    close(m.dice, 1);
    close(m.iou, 1);
    assert.equal(m.sensitivity, 1);
    assert.equal(m.specificity, 1);
    assert.equal(m.hd95, 0);
  });

  it('merges labels >= 1 into foreground', () => {
    const g = rect(4, 4, 10, 10, H, W, 2);
    const p = rect(4, 4, 10, 10, H, W, 1);
    close(segMetrics(p, g, H, W).dice, 1);
  });

  it('disjoint squares', () => {
    const m = segMetrics(rect(0, 0, 5, 5), rect(20, 20, 5, 5), H, W);
    assert.ok(m.dice < 1e-6 && m.iou < 1e-6);
    assert.equal(m.sensitivity, 0);
    assert.equal(m.specificity, (H * W - 50) / (H * W - 25));
    close(m.hd95, bruteHd95(rect(0, 0, 5, 5), rect(20, 20, 5, 5), H, W));
  });

  it('both empty: dice 1, iou 1, hd95 0, sensitivity NaN', () => {
    const m = segMetrics(new Uint8Array(H * W), new Uint8Array(H * W), H, W);
    assert.equal(m.dice, 1);
    assert.equal(m.iou, 1);
    assert.equal(m.hd95, 0);
    assert.ok(Number.isNaN(m.sensitivity));
    assert.equal(m.specificity, 1);
  });

  it('exactly one empty: dice ~0, hd95 NaN', () => {
    for (const [p, g] of [[rect(3, 3, 4, 4), new Uint8Array(H * W)], [new Uint8Array(H * W), rect(3, 3, 4, 4)]] as const) {
      const m = segMetrics(p, g, H, W);
      assert.ok(m.dice < 1e-6, `${m.dice}`);
      assert.ok(m.iou < 1e-6);
      assert.ok(Number.isNaN(m.hd95));
      assert.ok(Number.isNaN(hd95(p, g, H, W)));
    }
  });

  it('one-pixel masks', () => {
    const p = rect(5, 5, 1, 1);
    const g = rect(8, 9, 1, 1);
    const m = segMetrics(p, g, H, W);
    assert.equal(m.hd95, 5); // both directed distances are 5
    const same = segMetrics(p, p, H, W);
    assert.equal(same.hd95, 0);
    close(same.dice, 1);
    const sp = segMetrics(p, g, H, W, { spacing: [2, 0.5] });
    close(sp.hd95, Math.hypot(3 * 2, 4 * 0.5));
  });

  it('10×10 squares offset by 3 px: hand Dice/IoU and brute-force HD95', () => {
    const p = rect(5, 5, 10, 10);
    const g = rect(5, 8, 10, 10);
    const m = segMetrics(p, g, H, W);
    // overlap 10×7 = 70, |P| = |G| = 100, union 130
    close(m.dice, (140 + 1e-5) / (200 + 1e-5));
    close(m.iou, (70 + 1e-5) / (130 + 1e-5));
    assert.equal(m.tp, 70);
    assert.equal(m.fp, 30);
    assert.equal(m.fn, 30);
    assert.equal(m.sensitivity, 0.7);
    close(m.hd95, bruteHd95(p, g, H, W));
    // Each boundary has 36 pixels (72 distances). No distance exceeds 3, and P's left column and
    // G's right column (10 pixels each) sit exactly 3 px from the other boundary, so more than
    // the top 5% of the sorted values equal 3 and HD95 = 3.
    assert.equal(m.hd95, 3);
    const diag = rect(9, 11, 10, 10);
    close(segMetrics(p, diag, H, W).hd95, bruteHd95(p, diag, H, W));
  });

  it('anisotropic spacing matches brute force', () => {
    const p = rect(5, 5, 10, 10);
    const g = rect(9, 8, 12, 6);
    for (const sp of [[0.3, 0.3], [1.5, 0.4], [0.25, 2]] as const) {
      close(segMetrics(p, g, H, W, { spacing: sp }).hd95, bruteHd95(p, g, H, W, sp), 1e-9);
    }
    // isotropic spacing scales pixel HD95
    close(segMetrics(p, g, H, W, { spacing: [0.5, 0.5] }).hd95, 0.5 * segMetrics(p, g, H, W).hd95);
  });

  it('random blobs match brute force', () => {
    const r = rng(11);
    for (let t = 0; t < 10; t++) {
      const h = 12 + Math.floor(r() * 20);
      const w = 12 + Math.floor(r() * 20);
      const a = new Uint8Array(h * w).map(() => (r() < 0.3 ? 1 : 0));
      const b = new Uint8Array(h * w).map(() => (r() < 0.3 ? 2 : 0));
      const sp: Spacing = [0.5 + r(), 0.5 + r()];
      close(segMetrics(a, b, h, w, { spacing: sp }).hd95, bruteHd95(a, b, h, w, sp), 1e-9);
    }
  });

  it('rejects mismatched sizes and bad spacing', () => {
    assert.throws(() => segMetrics(new Uint8Array(10), new Uint8Array(12), 3, 4));
    assert.throws(() => segMetrics(rect(0, 0, 2, 2), rect(0, 0, 2, 2), H, W, { spacing: [0, 1] }));
  });
});

describe('percentile', () => {
  it('interpolates linearly like numpy', () => {
    assert.equal(percentile(Float64Array.from([4, 1, 3, 2]), 50), 2.5);
    close(percentile(Float64Array.from([0, 10]), 95), 9.5);
    assert.equal(percentile(Float64Array.from([7]), 95), 7);
    assert.ok(Number.isNaN(percentile(new Float64Array(0), 95)));
  });
});

describe('summarise', () => {
  it('mean ± sample std, NaN excluded and counted', () => {
    const base = segMetrics(rect(4, 4, 10, 10), rect(4, 4, 10, 10), H, W);
    const mk = (dice: number, hd: number): SegMetrics => ({ ...base, dice, hd95: hd });
    const s = summarise([mk(0.8, 2), mk(0.6, NaN), mk(0.7, 4)]);
    assert.equal(s.images, 3);
    close(s.dice.mean, 0.7);
    close(s.dice.std, 0.1); // sample std of 0.8, 0.6, 0.7
    assert.deepEqual([s.dice.n, s.dice.excluded], [3, 0]);
    assert.deepEqual([s.hd95.mean, s.hd95.n, s.hd95.excluded], [3, 2, 1]);
    close(s.hd95.std, Math.SQRT2);
    const one = summarise([mk(0.5, 1)]);
    assert.ok(Number.isNaN(one.dice.std));
    assert.ok(Number.isNaN(summarise([]).dice.mean));
  });
});
