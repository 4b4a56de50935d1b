import type { Pair } from './_conv.js';
import { concrete, pair } from './_conv.js';
import type { Tensor } from '../core/tensor.js';
import { constant } from '../core/tensor.js';
import { matmul } from './matmul.js';
import { reduceMean } from './reduce_mean.js';

/** Averaging matrix [out, size]: row i averages torch's bin [floor(i·size/out), ceil((i+1)·size/out)). */
export function adaptivePoolMatrix(size: number, out: number): Float64Array {
  const m = new Float64Array(out * size);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    for (let j = start; j < end; j++) m[i * size + j] = 1 / (end - start);
  }
  return m;
}

function matrixConst(x: Tensor, rows: number, cols: number, data: Float64Array, transposed: boolean): Tensor {
  const d = transposed ? Float64Array.from({ length: rows * cols }, (_, k) => data[(k % cols) * rows + Math.floor(k / cols)]!) : data;
  if (x.dtype === 'float64') return constant({ dtype: 'float64', shape: [rows, cols], data: d });
  if (x.dtype === 'float32') return constant({ dtype: 'float32', shape: [rows, cols], data: Float32Array.from(d) });
  throw new Error(`unsupported dtype ${x.dtype}`);
}

/** Left-multiply the last-but-one axis by m [rows, cols] (a constant built at trace time). */
export function mixRows(x: Tensor, m: Float64Array, rows: number, cols: number): Tensor {
  return matmul(matrixConst(x, rows, cols, m, false), x);
}

/** Right-multiply the last axis by mᵀ, m [rows, cols]. */
export function mixCols(x: Tensor, m: Float64Array, rows: number, cols: number): Tensor {
  return matmul(x, matrixConst(x, cols, rows, m, true));
}

/**
 * torch.nn.functional.adaptive_avg_pool2d on x [..., H, W] as P_h · X · P_wᵀ with constant averaging
 * matrices (torch's overlapping bins for non-divisible sizes); the gradient is the transposed products.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  const [oh, ow] = pair(outputSize, 1);
  const h = concrete(x.shape[x.rank - 2], 'height');
  const w = concrete(x.shape[x.rank - 1], 'width');
  if (oh === 1 && ow === 1) return reduceMean(x, [x.rank - 2, x.rank - 1], true);
  let y = oh === h ? x : mixRows(x, adaptivePoolMatrix(h, oh), oh, h);
  if (ow !== w) y = mixCols(y, adaptivePoolMatrix(w, ow), ow, w);
  return y;
}
