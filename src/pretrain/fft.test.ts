import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../core/random.js';
import { FftPlan, fft2 } from './fft.js';

function naive(re: Float64Array, im: Float64Array, sign: number): [Float64Array, Float64Array] {
  const n = re.length;
  const [or, oi] = [new Float64Array(n), new Float64Array(n)];
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      or[k]! += re[j]! * Math.cos(a) - im[j]! * Math.sin(a);
      oi[k]! += re[j]! * Math.sin(a) + im[j]! * Math.cos(a);
    }
  }
  return [or, oi];
}

const randomPlane = (n: number, rng: Rng): Float64Array => Float64Array.from({ length: n }, () => rng.normal());

test('FftPlan matches a direct DFT for every length 1..40, 49, 98 and 224, both directions, strided', () => {
  const rng = new Rng(1);
  for (const n of [...Array.from({ length: 40 }, (_, i) => i + 1), 49, 98, 224]) {
    const plan = new FftPlan(n);
    for (const sign of [-1, 1] as const) {
      const [re, im] = [randomPlane(n, rng), randomPlane(n, rng)];
      const [wr, wi] = naive(re, im, sign);
      // Strided layout: every third element of a longer buffer, at offset 2.
      const [br, bi] = [new Float64Array(3 * n + 2).fill(7), new Float64Array(3 * n + 2).fill(7)];
      for (let j = 0; j < n; j++) { br[2 + 3 * j] = re[j]!; bi[2 + 3 * j] = im[j]!; }
      plan.transform(br, bi, 2, 3, sign);
      for (let k = 0; k < n; k++) {
        assert.ok(Math.abs(br[2 + 3 * k]! - wr[k]!) < 1e-10 * n && Math.abs(bi[2 + 3 * k]! - wi[k]!) < 1e-10 * n, `n=${n} sign ${sign} bin ${k}`);
      }
      assert.equal(br[0], 7);
      assert.equal(br[3], 7);
    }
  }
});

test('fft2 then its inverse is the identity (224×160, non-square, non power of two)', () => {
  const rng = new Rng(2);
  const [h, w] = [224, 160];
  const x = randomPlane(h * w, rng);
  const [re, im] = [x.slice(), new Float64Array(h * w)];
  fft2(re, im, h, w, -1);
  // Parseval: Σ|X|² = HW·Σ|x|².
  let ex = 0;
  let eX = 0;
  for (let i = 0; i < h * w; i++) { ex += x[i]! ** 2; eX += re[i]! ** 2 + im[i]! ** 2; }
  assert.ok(Math.abs(eX / (h * w) - ex) < 1e-8 * ex);
  fft2(re, im, h, w, 1);
  let err = 0;
  for (let i = 0; i < h * w; i++) err = Math.max(err, Math.abs(re[i]! - x[i]!), Math.abs(im[i]!));
  assert.ok(err < 1e-12, `round trip error ${err}`);
});
