import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import { dimProd, normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { constant, isConst } from '../core/tensor.js';
import { expand } from './expand.js';
import { zerosLike } from './fill_like.js';
import { pad } from './pad.js';
import { reduceSum } from './reduce_sum.js';
import { reshape } from './reshape.js';
import { scatterAdd } from './scatter_add.js';

/**
 * Inverse of a constant index: row r lists the positions k with idx[k] = r, padded with `count`
 * (which points at an appended zero row). Built once at trace time.
 */
export function inverseIndex(idx: ArrayLike<bigint | number>, rows: number): { inv: BigInt64Array; width: number } {
  const lists: number[][] = Array.from({ length: rows }, () => []);
  for (let k = 0; k < idx.length; k++) {
    let r = Number(idx[k]);
    if (r < 0) r += rows;
    if (r < 0 || r >= rows) throw new Error(`gather index ${Number(idx[k])} out of range for ${rows} rows`);
    lists[r]!.push(k);
  }
  const width = Math.max(1, ...lists.map((l) => l.length));
  const inv = new BigInt64Array(rows * width).fill(BigInt(idx.length));
  lists.forEach((l, r) => l.forEach((k, j) => { inv[r * width + j] = BigInt(k); }));
  return { inv, width };
}

/** One inverse-index constant per constant index tensor (e.g. shared by all blocks' relative bias). */
const inverseCache = new WeakMap<Tensor, { inv: Tensor; width: number; rows: number }>();

function inverseConstant(idx: Tensor & { source: { kind: 'const'; value: { data: unknown } } }, rows: number): { inv: Tensor; width: number } {
  const hit = inverseCache.get(idx);
  if (hit && hit.rows === rows) return hit;
  const { inv, width } = inverseIndex(idx.source.value.data as ArrayLike<bigint | number>, rows);
  const entry = { inv: constant({ dtype: 'int64', shape: [rows, width], data: inv }), width, rows };
  inverseCache.set(idx, entry);
  return entry;
}

/** Gather rows of `data` along `axis` by integer `indices` (ONNX Gather). */
export const gatherOp: Op<{ readonly axis: number }> = {
  name: 'gather',
  infer: (ins, a) => {
    const [d, i] = [ins[0]!, ins[1]!];
    if (i.dtype !== 'int64' && i.dtype !== 'int32') throw new Error('indices must be int64 or int32');
    const ax = normAxis(a.axis, d.shape.length);
    return [{ dtype: d.dtype, shape: [...d.shape.slice(0, ax), ...i.shape, ...d.shape.slice(ax + 1)] }];
  },
  grad: ({ inputs, cotangents, attrs }) => {
    const [data, idx] = inputs as [Tensor, Tensor];
    const ax = normAxis(attrs.axis, data.rank);
    const rows = data.shape[ax] as number;
    const pre = dimProd(data.shape.slice(0, ax));
    const post = dimProd(data.shape.slice(ax + 1));
    const m = dimProd(idx.shape) as number;
    const dy = reshape(cotangents[0]!, [pre, m, post]);
    if (isConst(idx)) {
      // Deterministic segment sum: padded Gather + ReduceSum (ScatterND-add races in ORT).
      const { inv } = inverseConstant(idx, rows);
      const padded = pad(dy, [0, 0, 0], [0, 1, 0]);
      const picked = gather(padded, inv, 1);
      return [reshape(reduceSum(picked, [2]), data.shape), null];
    }
    const base = zerosLike(reshape(data, [pre, rows, post]));
    const where = expand(reshape(idx, [1, m, 1]), [pre, m, post]);
    return [reshape(scatterAdd(base, where, dy, 1), data.shape), null];
  },
  emit: (ctx, n) => ctx.node('Gather', n.inputs, n.outputs, { axis: { i: normAxis(n.attrs.axis, n.inputMeta[0]!.shape.length) } }),
};

export function gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
  return apply1(gatherOp, [data, indices], { axis });
}
