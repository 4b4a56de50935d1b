/**
 * Pillow-compatible resizing of 8-bit images (`PIL.Image.resize(size, filter)`), written from
 * the algorithm's description: separable convolution, horizontal pass then vertical pass, the
 * kernel stretched by the downscale factor (antialiasing), weights normalised to sum 1 per
 * output pixel and converted to 22-bit fixed point, each pass rounded and clipped to uint8.
 * A pass is skipped when its dimension (and box) is unchanged.
 */
import type { RasterImage } from './image.js';
import { checkRaster } from './image.js';
import type { Kernel, ResampleFilter } from './resample_filters.js';
import { KERNELS } from './resample_filters.js';
import type { ResizeBox } from './resize_nearest.js';
import { checkOutSize, pillowBox, resizeNearest } from './resize_nearest.js';

export type { ResampleFilter } from './resample_filters.js';
export type { ResizeBox } from './resize_nearest.js';
export { resizeNearest } from './resize_nearest.js';

/** Fixed-point fraction bits of the 8-bit coefficients (32 - 8 bits of data - 2 bits of headroom). */
export const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
/** Accumulator value at and above which the result clips to 255. */
const CLIP_HIGH = 256 * ONE;

/** Per-output-pixel source window and fixed-point weights along one axis. */
interface AxisCoeffs {
  /** Maximum taps per output pixel; row `i` of `weights` starts at `i * ksize`. */
  readonly ksize: number;
  /** First source index for each output pixel. */
  readonly start: Int32Array;
  /** Number of source taps for each output pixel. */
  readonly count: Int32Array;
  readonly weights: Int32Array;
}

function axisCoeffs(inSize: number, in0: number, in1: number, outSize: number, kernel: Kernel): AxisCoeffs {
  const scale = (in1 - in0) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const inv = 1 / filterScale;
  for (let i = 0; i < outSize; i++) {
    const center = in0 + (i + 0.5) * scale;
    // Window bounds are rounded with C's truncating int cast, then clamped to the source.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const n = hi - lo;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const v = kernel.fn((j + lo - center + 0.5) * inv);
      w[j] = v;
      sum += v;
    }
    const base = i * ksize;
    for (let j = 0; j < n; j++) {
      const v = sum !== 0 ? w[j]! / sum : w[j]!;
      // Round half away from zero into fixed point (C: (int)(v * ONE ± 0.5)).
      weights[base + j] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    start[i] = lo;
    count[i] = Math.max(n, 0);
  }
  return { ksize, start, count, weights };
}

/** Fixed-point accumulator → uint8: floor(acc / 2^22) clipped to [0, 255]. */
function clip8(acc: number): number {
  if (acc <= 0) return 0;
  if (acc >= CLIP_HIGH) return 255;
  return acc >> PRECISION_BITS;
}

/** Resample rows `[row0, row0 + rows)` of `src` horizontally to `outW` pixels. */
function horizontalPass(
  src: Uint8Array, inW: number, c: number, row0: number, rows: number, outW: number, k: AxisCoeffs,
): Uint8Array {
  const out = new Uint8Array(outW * rows * c);
  const { ksize, start, count, weights } = k;
  const inRow = inW * c;
  for (let y = 0; y < rows; y++) {
    const rowBase = (row0 + y) * inRow;
    let o = y * outW * c;
    for (let x = 0; x < outW; x++) {
      const n = count[x]!;
      const kb = x * ksize;
      const sb = rowBase + start[x]! * c;
      if (c === 1) {
        let acc = HALF;
        for (let j = 0; j < n; j++) acc = (acc + src[sb + j]! * weights[kb + j]!) | 0;
        out[o++] = clip8(acc);
      } else {
        for (let ch = 0; ch < c; ch++) {
          let acc = HALF;
          for (let j = 0, s = sb + ch; j < n; j++, s += c) acc = (acc + src[s]! * weights[kb + j]!) | 0;
          out[o++] = clip8(acc);
        }
      }
    }
  }
  return out;
}

/**
 * Resample columns of `src` (`rowLen` bytes per row) vertically; `rowOffset` shifts source rows.
 * Accumulates whole rows at a time (cache-friendly); sums stay within int32 as in Pillow.
 */
function verticalPass(src: Uint8Array, rowLen: number, rowOffset: number, outH: number, k: AxisCoeffs): Uint8Array {
  const out = new Uint8Array(outH * rowLen);
  const acc = new Int32Array(rowLen);
  const { ksize, start, count, weights } = k;
  for (let y = 0; y < outH; y++) {
    const n = count[y]!;
    const kb = y * ksize;
    const sb = (start[y]! - rowOffset) * rowLen;
    acc.fill(HALF);
    for (let j = 0; j < n; j++) {
      const w = weights[kb + j]!;
      const s = sb + j * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] = (acc[i]! + src[s + i]! * w) | 0;
    }
    const o = y * rowLen;
    for (let i = 0; i < rowLen; i++) out[o + i] = clip8(acc[i]!);
  }
  return out;
}

/** Convolution resize with a Pillow kernel; `box` selects a source region (default: whole image). */
function resizeConv(img: RasterImage, width: number, height: number, kernel: Kernel, box: ResizeBox): RasterImage {
  const [bx0, by0, bx1, by1] = box;
  const c = img.channels;
  const needH = width !== img.width || bx0 !== 0 || bx1 !== width;
  const needV = height !== img.height || by0 !== 0 || by1 !== height;
  const vk = axisCoeffs(img.height, by0, by1, height, kernel);
  // Only the source rows the vertical pass reads need the horizontal pass.
  const rowFirst = vk.start[0]!;
  const rowLast = vk.start[height - 1]! + vk.count[height - 1]!;
  let data = img.data;
  let rowOffset = 0;
  if (needH) {
    const hk = axisCoeffs(img.width, bx0, bx1, width, kernel);
    data = horizontalPass(img.data, img.width, c, rowFirst, rowLast - rowFirst, width, hk);
    rowOffset = rowFirst;
  }
  if (needV) data = verticalPass(data, width * c, rowOffset, height, vk);
  else if (!needH) data = img.data.slice();
  return { width, height, channels: c, data };
}

export interface ResizeOptions {
  /** Source region `[x0, y0, x1, y1]` (floats allowed), as Pillow's `box`. */
  readonly box?: ResizeBox;
}

/**
 * Resize an 8-bit image exactly as `PIL.Image.resize((width, height), filter)` does for
 * modes L / RGB. Default filter is bicubic (torchvision's Resize on PIL images).
 */
export function resize(
  img: RasterImage, width: number, height: number, filter: ResampleFilter = 'bicubic', opts: ResizeOptions = {},
): RasterImage {
  checkRaster(img, 'resize');
  checkOutSize(width, height, 'resize');
  const box = pillowBox(img, opts.box, 'resize');
  if (filter === 'nearest') return resizeNearest(img, width, height, box);
  const kernel = KERNELS[filter];
  if (kernel === undefined) throw new Error(`resize: unknown filter '${String(filter)}'`);
  return resizeConv(img, width, height, kernel, box);
}

/** `PIL.Image.resize(size, Image.BICUBIC)`. */
export function resizeBicubic(img: RasterImage, width: number, height: number): RasterImage {
  return resize(img, width, height, 'bicubic');
}

/** `PIL.Image.resize(size, Image.BILINEAR)`. */
export function resizeBilinear(img: RasterImage, width: number, height: number): RasterImage {
  return resize(img, width, height, 'bilinear');
}
