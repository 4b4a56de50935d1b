/**
 * Pillow's resampling kernels (libImaging/Resample.c), written from their definitions.
 * Each kernel is evaluated in source-pixel units; `support` is its half-width for
 * upscaling (downscaling multiplies it by the scale factor).
 */
export type ResampleFilter = 'nearest' | 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';

export interface Kernel {
  readonly support: number;
  readonly fn: (x: number) => number;
}

/** Bicubic (Keys) kernel parameter used by Pillow. */
export const BICUBIC_A = -0.5;

function boxKernel(x: number): number {
  return x > -0.5 && x <= 0.5 ? 1 : 0;
}

function bilinearKernel(x: number): number {
  const ax = Math.abs(x);
  return ax < 1 ? 1 - ax : 0;
}

function hammingKernel(x: number): number {
  const ax = Math.abs(x);
  if (ax === 0) return 1;
  if (ax >= 1) return 0;
  const px = ax * Math.PI;
  return (Math.sin(px) / px) * (0.54 + 0.46 * Math.cos(px));
}

function bicubicKernel(x: number): number {
  const a = BICUBIC_A;
  const ax = Math.abs(x);
  if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
  if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczosKernel(x: number): number {
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/** Convolution kernels by filter name (nearest is not a convolution; see resize_nearest.ts). */
export const KERNELS: Readonly<Record<Exclude<ResampleFilter, 'nearest'>, Kernel>> = {
  box: { support: 0.5, fn: boxKernel },
  bilinear: { support: 1, fn: bilinearKernel },
  hamming: { support: 1, fn: hammingKernel },
  bicubic: { support: 2, fn: bicubicKernel },
  lanczos: { support: 3, fn: lanczosKernel },
};
