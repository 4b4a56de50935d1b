import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { cast } from './cast.js';
import { equal } from './compare.js';
import { div } from './div.js';
import { mul } from './mul.js';
import type { ReduceAttrs } from './reduce_sum.js';
import { emitAxesAttrReduce, reduceSum, reducedShapes, unreduce } from './reduce_sum.js';
import { reshape } from './reshape.js';
import { expand } from './expand.js';

/** Max over axes; ties share the gradient equally (as torch's amax). */
export const reduceMaxOp: Op<ReduceAttrs> = {
  name: 'reduceMax',
  infer: (ins, a) => [{ dtype: ins[0]!.dtype, shape: reducedShapes(ins[0]!, a).out }],
  grad: ({ inputs, outputs, cotangents, attrs }) => {
    const x = inputs[0]!;
    const kept = reducedShapes(x, attrs).kept;
    const hit = cast(equal(x, expand(reshape(outputs[0]!, kept), x.shape)), x.dtype);
    const share = div(hit, reduceSum(hit, attrs.axes, true));
    return [mul(unreduce(cotangents[0]!, x, attrs), share)];
  },
  emit: emitAxesAttrReduce('ReduceMax'),
};

export function reduceMax(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const ax = axes ?? x.shape.map((_, i) => i);
  if (ax.length === 0) return x; // ONNX would reduce everything for an empty axes list
  return apply1(reduceMaxOp, [x], { axes: [...ax], keepdims });
}
