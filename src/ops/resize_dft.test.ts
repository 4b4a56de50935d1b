import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, gradcheck, randn } from '../testing/gradcheck.js';
import * as F from './index.js';

const X = (shape: number[], seed: number): ReturnType<typeof randn> => randn(shape, seed);
const close = (a: ArrayLike<number | bigint>, b: ArrayLike<number>, tol: number): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(Number(a[i]) - b[i]!) <= tol, `[${i}] ${Number(a[i])} vs ${b[i]}`);
};

test('resizeBilinear: gradients (up, down, non-square, both align_corners)', async () => {
  await gradcheck(([x]) => F.resizeBilinear(x!, [7, 4]), [X([1, 2, 3, 5], 1)]);
  await gradcheck(([x]) => F.resizeBilinear(x!, [2, 9], true), [X([2, 1, 5, 4], 2)]);
});

test('resizeBilinear / resizeNearest: known values', async () => {
  const x = { dtype: 'float64' as const, shape: [1, 1, 2, 2], data: Float64Array.from([0, 1, 2, 3]) };
  const [ac] = await evaluate(([a]) => F.resizeBilinear(a!, [3, 3], true), [x]);
  close(ac!.data as Float64Array, [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3], 1e-12);
  const [hp] = await evaluate(([a]) => F.resizeBilinear(a!, [1, 4]), [x]);
  // align_corners=false: src = (dst + .5)/2 − .5 clamped at 0 → [0, .25, .75, 1] on the middle row (1.0 + ...).
  close(hp!.data as Float64Array, [1, 1.25, 1.75, 2], 1e-7);
  const [nn] = await evaluate(([a]) => F.resizeNearest(a!, [3, 4]), [x]);
  close(nn!.data as Float64Array, [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3], 0);
  await gradcheck(([a]) => F.resizeNearest(a!, [5, 2]), [X([1, 2, 3, 3], 3)]);
});

function naiveDft(x: Float64Array, h: number, w: number, sign: number): [number[], number[]] {
  const re: number[] = [];
  const im: number[] = [];
  for (let k = 0; k < h; k++) {
    for (let l = 0; l < w; l++) {
      let sr = 0, si = 0;
      for (let a = 0; a < h; a++) {
        for (let b = 0; b < w; b++) {
          const t = 2 * Math.PI * (k * a / h + l * b / w);
          sr += x[a * w + b]! * Math.cos(t);
          si += sign * x[a * w + b]! * Math.sin(t);
        }
      }
      re.push(sr);
      im.push(si);
    }
  }
  return [re, im];
}

test('dft2 matches a direct DFT; idft2 inverts it; complex input', async () => {
  const x = X([2, 3, 5], 4);
  const [re, im, bre, bim] = await evaluate(([a]) => {
    const z = F.dft2(a!);
    const back = F.idft2(z);
    return [z.re, z.im, back.re, back.im];
  }, [x]);
  const d = x.data as Float64Array;
  for (let b = 0; b < 2; b++) {
    const [r, i] = naiveDft(d.subarray(b * 15, b * 15 + 15), 3, 5, -1);
    close((re!.data as Float64Array).subarray(b * 15, b * 15 + 15), r, 1e-12);
    close((im!.data as Float64Array).subarray(b * 15, b * 15 + 15), i, 1e-12);
  }
  close(bre!.data as Float64Array, d, 1e-12);
  close(bim!.data as Float64Array, new Float64Array(30), 1e-12);
  const y = X([2, 3, 5], 5);
  const [cr] = await evaluate(([a, c]) => F.dft2Complex({ re: a!, im: c! }).re, [x, y]);
  const [r1] = naiveDft(d, 3, 5, -1);
  const [, i2] = naiveDft(y.data as Float64Array, 3, 5, -1);
  close((cr!.data as Float64Array).subarray(0, 15), r1.slice(0, 15).map((v, k) => v - i2[k]!), 1e-12);
});

test('dft2 / idft2 / amplitude: gradients', async () => {
  await gradcheck(([a]) => {
    const z = F.dft2(a!);
    return F.concat([z.re, z.im], 0);
  }, [X([2, 4, 3], 6)]);
  await gradcheck(([a]) => F.dft2(a!).im, [X([3, 4], 7)]);
  await gradcheck(([a, b]) => {
    const z = F.idft2({ re: a!, im: b! });
    return F.concat([z.re, z.im], 0);
  }, [X([1, 3, 4], 8), X([1, 3, 4], 9)]);
  await gradcheck(([a]) => F.dftAmplitude(a!), [X([2, 3, 4], 10)]);
});

test('fftshift / ifftshift as torch.fft (odd and even sizes)', async () => {
  const x = { dtype: 'float64' as const, shape: [3, 4], data: Float64Array.from({ length: 12 }, (_, i) => i) };
  const [s, back] = await evaluate(([a]) => [F.fftshift(a!), F.ifftshift(F.fftshift(a!))], [x]);
  // rows rolled by 1 (3 → floor(3/2)), columns by 2.
  close(s!.data as Float64Array, [10, 11, 8, 9, 2, 3, 0, 1, 6, 7, 4, 5], 0);
  close(back!.data as Float64Array, x.data, 0);
  await gradcheck(([a]) => F.fftshift(a!, [0]), [X([5, 2], 11)]);
});
