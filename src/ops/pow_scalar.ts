import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { hostScalar } from './_util.js';
import { mul } from './mul.js';

/** x ** p for a constant exponent p. */
export const powScalarOp: Op<{ readonly p: number }> = {
  name: 'powScalar',
  infer: (ins) => [{ dtype: ins[0]!.dtype, shape: ins[0]!.shape }],
  grad: ({ inputs, cotangents, attrs }) => {
    const x = inputs[0]!;
    const d = attrs.p === 2 ? mul(x, 2) : mul(powScalar(x, attrs.p - 1), attrs.p);
    return [mul(cotangents[0]!, d)];
  },
  emit: (ctx, n) => {
    ctx.node('Pow', [n.inputs[0]!, ctx.constant(hostScalar(n.attrs.p, n.inputMeta[0]!.dtype))], n.outputs);
  },
};

export function powScalar(x: Tensor, p: number): Tensor {
  if (p === 1) return x;
  if (p === 2) return mul(x, x);
  return apply1(powScalarOp, [x], { p });
}
