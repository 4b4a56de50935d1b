import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { sameDType } from './_util.js';
import { add } from './add.js';
import { bnAxes, checkChannels } from './batch_norm.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { powScalar } from './pow_scalar.js';
import { reduceSum } from './reduce_sum.js';
import { reshape } from './reshape.js';
import { sub } from './sub.js';

/**
 * Inference-mode batch norm with running statistics (ONNX BatchNormalization, foldable into a
 * preceding Conv by ORT): y = (x − mean)·w/sqrt(var + eps) + b. Differentiable in every input.
 */
export const batchNormEvalOp: Op<{ readonly eps: number }> = {
  name: 'batchNormEval',
  infer: (ins) => {
    checkChannels(ins, 1);
    return [{ dtype: sameDType(ins, 'batchNormEval'), shape: ins[0]!.shape }];
  },
  grad: ({ inputs, cotangents, attrs, needs }) => {
    const [x, w, , rm, rv] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const dy = cotangents[0]!;
    const { axes, chan } = bnAxes(x);
    const inv = powScalar(add(rv, attrs.eps), -0.5);
    const scale = mul(w, inv);
    const sumDy = needs[2] || needs[3] ? reduceSum(dy, axes) : null;
    const sumDyXc = needs[1] || needs[4] ? reduceSum(mul(dy, sub(x, reshape(rm, chan))), axes) : null;
    return [
      needs[0] ? mul(dy, reshape(scale, chan)) : null,
      needs[1] ? mul(sumDyXc!, inv) : null,
      needs[2] ? sumDy : null,
      needs[3] ? neg(mul(sumDy!, scale)) : null,
      needs[4] ? mul(mul(sumDyXc!, mul(scale, mul(inv, inv))), -0.5) : null,
    ];
  },
  emit: (ctx, n) => ctx.node('BatchNormalization', n.inputs, n.outputs, { epsilon: { f: n.attrs.eps } }),
};

/** Eval-mode batch norm over axis 1 of x [N, C, …] using running statistics. */
export function batchNormEval(x: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor, eps = 1e-5): Tensor {
  return apply1(batchNormEvalOp, [x, weight, bias, runningMean, runningVar], { eps });
}
