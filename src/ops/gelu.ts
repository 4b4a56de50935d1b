import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { hostScalar } from './_util.js';
import { add } from './add.js';
import { erf } from './erf.js';
import { exp } from './exp.js';
import { mul } from './mul.js';

/**
 * Exact (erf) GELU, emitted as Erf arithmetic (ONNX Gelu needs opset 20). The backward recomputes
 * Phi(x) + x*phi(x) from x rather than keeping intermediates alive.
 */
export const geluOp: Op<null> = {
  name: 'gelu',
  infer: (ins) => [{ dtype: ins[0]!.dtype, shape: ins[0]!.shape }],
  grad: ({ inputs, cotangents }) => {
    const x = inputs[0]!;
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [mul(cotangents[0]!, add(cdf, mul(x, pdf)))];
  },
  emit: (ctx, n) => {
    const dt = n.inputMeta[0]!.dtype;
    const x = n.inputs[0]!;
    const [a, b, c, d] = [ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()];
    ctx.node('Mul', [x, ctx.constant(hostScalar(Math.SQRT1_2, dt))], [a]);
    ctx.node('Erf', [a], [b]);
    ctx.node('Add', [b, ctx.constant(hostScalar(1, dt))], [c]);
    ctx.node('Mul', [x, ctx.constant(hostScalar(0.5, dt))], [d]);
    ctx.node('Mul', [d, c], n.outputs);
  },
};

export function gelu(x: Tensor): Tensor {
  return apply1(geluOp, [x], null);
}
