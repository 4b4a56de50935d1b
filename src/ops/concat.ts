import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Dim } from '../core/shape.js';
import { normAxis, shapeStr } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { sameDType } from './_util.js';
import { slice } from './slice.js';

export const concatOp: Op<{ readonly axis: number }> = {
  name: 'concat',
  infer: (ins, a) => {
    const s0 = ins[0]!.shape;
    const ax = normAxis(a.axis, s0.length);
    let total: Dim = 0;
    for (const m of ins) {
      if (m.shape.length !== s0.length || m.shape.some((d, i) => i !== ax && d !== s0[i])) {
        throw new Error(`concat shapes differ off axis ${ax}: ${ins.map((x) => shapeStr(x.shape)).join(' ')}`);
      }
      const d = m.shape[ax]!;
      if (typeof d !== 'number' || typeof total !== 'number') throw new Error('concat along a symbolic dim');
      total += d;
    }
    const out = [...s0];
    out[ax] = total;
    return [{ dtype: sameDType(ins, 'concat'), shape: out }];
  },
  grad: ({ inputs, cotangents, attrs, needs }) => {
    let at = 0;
    return inputs.map((x, i) => {
      const d = x.shape[normAxis(attrs.axis, x.rank)] as number;
      const g = needs[i] ? slice(cotangents[0]!, attrs.axis, at, at + d) : null;
      at += d;
      return g;
    });
  },
  emit: (ctx, n) => ctx.node('Concat', n.inputs, n.outputs, { axis: { i: normAxis(n.attrs.axis, n.inputMeta[0]!.shape.length) } }),
};

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 1) return xs[0]!;
  return apply1(concatOp, xs, { axis: normAxis(axis, xs[0]!.rank) });
}
