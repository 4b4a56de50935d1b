import type { Op } from '../core/op.js';
import { apply } from '../core/op.js';
import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { concat } from './concat.js';
import { zerosLike } from './fill_like.js';

/** Split along one axis into pieces of the given sizes (one ONNX Split); gradient: one Concat. */
export const splitOp: Op<{ readonly axis: number; readonly sizes: readonly number[] }> = {
  name: 'split',
  infer: (ins, a) => {
    const s = ins[0]!.shape;
    const ax = normAxis(a.axis, s.length);
    const total = a.sizes.reduce((x, y) => x + y, 0);
    if (s[ax] !== total) throw new Error(`split sizes [${a.sizes.join(',')}] do not add up to dim ${String(s[ax])}`);
    return a.sizes.map((n) => ({ dtype: ins[0]!.dtype, shape: s.map((d, i) => (i === ax ? n : d)) }));
  },
  grad: ({ outputs, cotangents, attrs }) => [concat(cotangents.map((c, i) => c ?? zerosLike(outputs[i]!)), attrs.axis)],
  emit: (ctx, n) => {
    const ax = normAxis(n.attrs.axis, n.inputMeta[0]!.shape.length);
    ctx.node('Split', [n.inputs[0]!, ctx.int64s(n.attrs.sizes)], n.outputs, { axis: { i: ax } });
  },
};

export function split(x: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  if (sizes.length === 1) return [x];
  return apply(splitOp, [x], { axis: normAxis(axis, x.rank), sizes: [...sizes] });
}
