import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';

/** base with updates added at indices along axis (ONNX ScatterElements, reduction add). */
export const scatterAddOp: Op<{ readonly axis: number }> = {
  name: 'scatterAdd',
  infer: (ins) => [{ dtype: ins[0]!.dtype, shape: ins[0]!.shape }],
  grad: ({ inputs, cotangents, attrs, needs }) => {
    const dy = cotangents[0]!;
    return [needs[0] ? dy : null, null, needs[2] ? gatherElements(dy, inputs[1]!, attrs.axis) : null];
  },
  emit: (ctx, n) => ctx.node('ScatterElements', n.inputs, n.outputs, {
    axis: { i: normAxis(n.attrs.axis, n.inputMeta[0]!.shape.length) },
    reduction: { s: 'add' },
  }),
};

export const gatherElementsOp: Op<{ readonly axis: number }> = {
  name: 'gatherElements',
  infer: (ins) => [{ dtype: ins[0]!.dtype, shape: ins[1]!.shape }],
  emit: (ctx, n) => ctx.node('GatherElements', n.inputs, n.outputs, { axis: { i: normAxis(n.attrs.axis, n.inputMeta[0]!.shape.length) } }),
};

export function scatterAdd(base: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor {
  return apply1(scatterAddOp, [base, indices, updates], { axis });
}

export function gatherElements(data: Tensor, indices: Tensor, axis: number): Tensor {
  return apply1(gatherElementsOp, [data, indices], { axis });
}
