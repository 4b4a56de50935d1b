import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { count } from './count.js';
import { div } from './div.js';
import type { ReduceAttrs } from './reduce_sum.js';
import { emitAxesAttrReduce, reducedShapes, unreduce } from './reduce_sum.js';


export const reduceMeanOp: Op<ReduceAttrs> = {
  name: 'reduceMean',
  infer: (ins, a) => [{ dtype: ins[0]!.dtype, shape: reducedShapes(ins[0]!, a).out }],
  grad: ({ inputs, cotangents, attrs }) => [div(unreduce(cotangents[0]!, inputs[0]!, attrs), count(inputs[0]!, attrs.axes))],
  emit: emitAxesAttrReduce('ReduceMean'),
};

export function reduceMean(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const ax = axes ?? x.shape.map((_, i) => i);
  if (ax.length === 0) return x; // ONNX would reduce everything for an empty axes list
  return apply1(reduceMeanOp, [x], { axes: [...ax], keepdims });
}
