import type { Op } from '../core/op.js';
import { apply } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { hostScalar } from './_util.js';
import { cast } from './cast.js';
import { mul } from './mul.js';
import { reduceMean } from './reduce_mean.js';
import { reduceSum } from './reduce_sum.js';
import { sub } from './sub.js';

/**
 * LayerNorm over the last axis (ONNX opset-17 LayerNormalization). Outputs y, Mean and InvStdDev;
 * the backward reuses the last two and is decomposed (ORT has no LayerNormalizationGrad).
 */
export const layerNormOp: Op<{ readonly eps: number }> = {
  name: 'layerNorm',
  infer: (ins) => {
    const x = ins[0]!;
    const c = x.shape[x.shape.length - 1];
    for (const p of ins.slice(1)) if (p.shape.length !== 1 || p.shape[0] !== c) throw new Error(`weight/bias must be [${c}]`);
    const stat = [...x.shape.slice(0, -1), 1];
    // ORT keeps Mean/InvStdDev in float32 (stash_type) for half inputs; float64 is spelled out in emit.
    const sd = x.dtype === 'float64' ? 'float64' : 'float32';
    return [{ dtype: x.dtype, shape: x.shape }, { dtype: sd, shape: stat }, { dtype: sd, shape: stat }];
  },
  grad: ({ inputs, outputs, cotangents, needs }) => {
    const [x, w] = inputs as [Tensor, Tensor, Tensor];
    const [mean, rstd] = [cast(outputs[1]!, x.dtype), cast(outputs[2]!, x.dtype)];
    const dy = cotangents[0];
    if (!dy) return [null, null, null];
    const last = x.rank - 1;
    const lead = x.shape.slice(0, -1).map((_, i) => i);
    const xhat = mul(sub(x, mean), rstd);
    const g = mul(dy, w);
    const dx = needs[0]
      ? mul(rstd, sub(sub(g, reduceMean(g, [last], true)), mul(xhat, reduceMean(mul(g, xhat), [last], true))))
      : null;
    return [dx, needs[1] ? reduceSum(mul(dy, xhat), lead) : null, needs[2] ? reduceSum(dy, lead) : null];
  },
  emit: (ctx, n) => {
    const dt = n.inputMeta[0]!.dtype;
    if (dt !== 'float64') {
      ctx.node('LayerNormalization', n.inputs, n.outputs, { axis: { i: -1 }, epsilon: { f: n.attrs.eps } });
      return;
    }
    // ORT has no float64 kernel with float64 statistics: spell it out (used by float64 gradient checks).
    const [x, w, b] = n.inputs as [string, string, string];
    const [y, mean, rstd] = n.outputs as [string, string, string];
    const [xc, sq, v, ve, sd, xn, xs] = [ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()];
    const last = { axes: { ints: [-1] }, keepdims: { i: 1 } };
    ctx.node('ReduceMean', [x], [mean], last);
    ctx.node('Sub', [x, mean], [xc]);
    ctx.node('Mul', [xc, xc], [sq]);
    ctx.node('ReduceMean', [sq], [v], last);
    ctx.node('Add', [v, ctx.constant(hostScalar(n.attrs.eps, dt))], [ve]);
    ctx.node('Sqrt', [ve], [sd]);
    ctx.node('Reciprocal', [sd], [rstd]);
    ctx.node('Mul', [xc, rstd], [xn]);
    ctx.node('Mul', [xn, w], [xs]);
    ctx.node('Add', [xs, b], [y]);
  },
};

export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps = 1e-6): Tensor {
  return apply(layerNormOp, [x, weight, bias], { eps })[0]!;
}
