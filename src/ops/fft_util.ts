import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { concrete } from './_conv.js';
import { add } from './add.js';
import { concat } from './concat.js';
import type { Complex } from './dft.js';
import { dft2 } from './dft.js';
import { mul } from './mul.js';
import { slice } from './slice.js';
import { sqrt } from './sqrt.js';

/** torch.roll along one axis: element i moves to (i + shift) mod n. */
export function roll(x: Tensor, shift: number, axis: number): Tensor {
  const ax = normAxis(axis, x.rank);
  const n = concrete(x.shape[ax], 'rolled dim');
  const s = ((shift % n) + n) % n;
  if (s === 0) return x;
  return concat([slice(x, ax, n - s, n), slice(x, ax, 0, n - s)], ax);
}

/** torch.fft.fftshift over `axes` (default the last two): the zero frequency moves to the centre. */
export function fftshift(x: Tensor, axes: readonly number[] = [-2, -1]): Tensor {
  return axes.reduce((t, ax) => roll(t, Math.floor(concrete(t.shape[normAxis(ax, t.rank)], 'dim') / 2), ax), x);
}

/** torch.fft.ifftshift: the inverse of fftshift (differs for odd sizes). */
export function ifftshift(x: Tensor, axes: readonly number[] = [-2, -1]): Tensor {
  return axes.reduce((t, ax) => roll(t, -Math.floor(concrete(t.shape[normAxis(ax, t.rank)], 'dim') / 2), ax), x);
}

/** |z| smoothed as sqrt(re² + im² + eps), so the gradient stays finite at zero. */
export function complexAbs(z: Complex, eps = 1e-8): Tensor {
  return sqrt(add(add(mul(z.re, z.re), mul(z.im, z.im)), eps));
}

/** Amplitude spectrum sqrt(re² + im² + eps) of the 2-D DFT of a real x [..., H, W]. */
export function dftAmplitude(x: Tensor, eps = 1e-8): Tensor {
  return complexAbs(dft2(x), eps);
}
