import type { Tensor } from '../core/tensor.js';
import { constant } from '../core/tensor.js';
import type { Pair } from './_conv.js';
import { concrete, pair } from './_conv.js';
import { mixCols, mixRows } from './adaptive_avg_pool2d.js';
import { gather } from './gather.js';

const f = Math.fround;

/**
 * Row-interpolation matrix [out, size] of torch's bilinear (linear) upsampling along one axis, in
 * torch's float32 arithmetic: align_corners=false maps dst → (dst + 0.5)·size/out − 0.5, clamped at 0.
 */
export function bilinearMatrix(size: number, out: number, alignCorners: boolean): Float64Array {
  const m = new Float64Array(out * size);
  const scale = alignCorners ? (out > 1 ? f((size - 1) / (out - 1)) : 0) : f(size / out);
  for (let i = 0; i < out; i++) {
    const src = alignCorners ? f(scale * i) : Math.max(f(f(scale * f(i + 0.5)) - 0.5), 0);
    const i0 = Math.min(Math.floor(src), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    const l1 = f(src - i0);
    m[i * size + i0]! += f(1 - l1);
    m[i * size + i1]! += l1;
  }
  return m;
}

/** Source index per output position of torch's legacy 'nearest' mode: min(floor(dst·size/out), size − 1). */
export function nearestIndices(size: number, out: number): number[] {
  const scale = f(size / out);
  return Array.from({ length: out }, (_, i) => {
    if (out === size) return i;
    if (out === 2 * size) return i >> 1;
    return Math.min(Math.floor(f(i * scale)), size - 1);
  });
}

function spatial(x: Tensor): [number, number] {
  if (x.rank < 2) throw new Error('resize needs [..., H, W]');
  return [concrete(x.shape[x.rank - 2], 'height'), concrete(x.shape[x.rank - 1], 'width')];
}

/**
 * F.interpolate(x, size, mode='bilinear', align_corners) on x [..., H, W], as A_h · X · A_wᵀ with
 * constant interpolation matrices built at trace time: exact, any float dtype, and the backward is
 * the transposed products.
 */
export function resizeBilinear(x: Tensor, size: Pair, alignCorners = false): Tensor {
  const [h, w] = spatial(x);
  const [oh, ow] = pair(size, 1);
  let y = x;
  if (ow !== w) y = mixCols(y, bilinearMatrix(w, ow, alignCorners), ow, w);
  if (oh !== h) y = mixRows(y, bilinearMatrix(h, oh, alignCorners), oh, h);
  return y;
}

/** F.interpolate(x, size, mode='nearest') on x [..., H, W]: two constant-index Gathers (deterministic backward). */
export function resizeNearest(x: Tensor, size: Pair): Tensor {
  const [h, w] = spatial(x);
  const [oh, ow] = pair(size, 1);
  const idx = (v: number[]): Tensor => constant({ dtype: 'int64', shape: [v.length], data: BigInt64Array.from(v, BigInt) });
  let y = x;
  if (oh !== h) y = gather(y, idx(nearestIndices(h, oh)), x.rank - 2);
  if (ow !== w) y = gather(y, idx(nearestIndices(w, ow)), x.rank - 1);
  return y;
}
