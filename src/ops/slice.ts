import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { pad } from './pad.js';

interface SliceAttrs { readonly axis: number; readonly start: number; readonly end: number }

/** x[..., start:end, ...] along one axis (concrete extent, step 1). */
export const sliceOp: Op<SliceAttrs> = {
  name: 'slice',
  infer: (ins, a) => {
    const s = ins[0]!.shape;
    const ax = normAxis(a.axis, s.length);
    const d = s[ax]!;
    if (typeof d !== 'number') throw new Error(`slice along symbolic dim ${d}`);
    if (!(0 <= a.start && a.start <= a.end && a.end <= d)) throw new Error(`slice [${a.start}:${a.end}] out of range 0..${d}`);
    const out = [...s];
    out[ax] = a.end - a.start;
    return [{ dtype: ins[0]!.dtype, shape: out }];
  },
  grad: ({ inputs, cotangents, attrs }) => {
    const x = inputs[0]!;
    const ax = normAxis(attrs.axis, x.rank);
    const before = x.shape.map(() => 0);
    const after = x.shape.map(() => 0);
    before[ax] = attrs.start;
    after[ax] = (x.shape[ax] as number) - attrs.end;
    return [pad(cotangents[0]!, before, after)];
  },
  emit: (ctx, n) => {
    const ax = normAxis(n.attrs.axis, n.inputMeta[0]!.shape.length);
    ctx.node('Slice', [n.inputs[0]!, ctx.int64s([n.attrs.start]), ctx.int64s([n.attrs.end]), ctx.int64s([ax])], n.outputs);
  },
};

export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = normAxis(axis, x.rank);
  if (start === 0 && end === x.shape[ax]) return x;
  return apply1(sliceOp, [x], { axis: ax, start, end });
}
