import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { exp } from './exp.js';
import { mul } from './mul.js';
import { reduceSum } from './reduce_sum.js';
import { sub } from './sub.js';

/** log-softmax along an axis; backward dy - softmax * sum(dy). */
export const logSoftmaxOp: Op<{ readonly axis: number }> = {
  name: 'logSoftmax',
  infer: (ins) => [{ dtype: ins[0]!.dtype, shape: ins[0]!.shape }],
  grad: ({ outputs, cotangents, attrs }) => {
    const dy = cotangents[0]!;
    return [sub(dy, mul(exp(outputs[0]!), reduceSum(dy, [attrs.axis], true)))];
  },
  emit: (ctx, n) => ctx.node('LogSoftmax', n.inputs, n.outputs, { axis: { i: normAxis(n.attrs.axis, n.inputMeta[0]!.shape.length) } }),
};

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return apply1(logSoftmaxOp, [x], { axis: normAxis(axis, x.rank) });
}
