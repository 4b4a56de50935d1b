import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Dim } from '../core/shape.js';

import type { Tensor } from '../core/tensor.js';
import { hostScalar } from './_util.js';
import { slice } from './slice.js';

interface PadAttrs { readonly before: readonly number[]; readonly after: readonly number[]; readonly value: number }

function grow(d: Dim, n: number): Dim {
  if (n === 0) return d;
  if (typeof d !== 'number') throw new Error(`pad along symbolic dim ${d}`);
  return d + n;
}

/** Constant padding (non-negative amounts per axis). */
export const padOp: Op<PadAttrs> = {
  name: 'pad',
  infer: (ins, a) => {
    const s = ins[0]!.shape;
    if (a.before.length !== s.length || a.after.length !== s.length) throw new Error('pad amounts must match rank');
    return [{ dtype: ins[0]!.dtype, shape: s.map((d, i) => grow(d, a.before[i]! + a.after[i]!)) }];
  },
  grad: ({ inputs, cotangents, attrs }) => {
    let g = cotangents[0]!;
    inputs[0]!.shape.forEach((d, i) => {
      if (attrs.before[i] || attrs.after[i]) g = slice(g, i, attrs.before[i]!, attrs.before[i]! + (d as number));
    });
    return [g];
  },
  emit: (ctx, n) => {
    const v = ctx.constant(hostScalar(n.attrs.value, n.inputMeta[0]!.dtype));
    ctx.node('Pad', [n.inputs[0]!, ctx.int64s([...n.attrs.before, ...n.attrs.after]), v], n.outputs, { mode: { s: 'constant' } });
  },
};

export function pad(x: Tensor, before: readonly number[], after: readonly number[], value = 0): Tensor {
  if (before.every((b) => b === 0) && after.every((a) => a === 0)) return x;
  return apply1(padOp, [x], { before: [...before], after: [...after], value });
}
