import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { mul } from './mul.js';
import { reduceSum } from './reduce_sum.js';
import { sub } from './sub.js';

/** softmax along an axis; backward decomposed (ORT has no SoftmaxGrad): y * (dy - sum(dy * y)). */
export const softmaxOp: Op<{ readonly axis: number }> = {
  name: 'softmax',
  infer: (ins) => [{ dtype: ins[0]!.dtype, shape: ins[0]!.shape }],
  grad: ({ outputs, cotangents, attrs }) => {
    const y = outputs[0]!;
    const dy = cotangents[0]!;
    return [mul(y, sub(dy, reduceSum(mul(dy, y), [attrs.axis], true)))];
  },
  emit: (ctx, n) => ctx.node('Softmax', n.inputs, n.outputs, { axis: { i: normAxis(n.attrs.axis, n.inputMeta[0]!.shape.length) } }),
};

export function softmax(x: Tensor, axis = -1): Tensor {
  return apply1(softmaxOp, [x], { axis: normAxis(axis, x.rank) });
}
