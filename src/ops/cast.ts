import type { DType } from '../core/dtype.js';
import { ONNX_ELEM_TYPE, isFloat } from '../core/dtype.js';
import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';

export const castOp: Op<{ readonly to: DType }> = {
  name: 'cast',
  infer: (ins, a) => [{ dtype: a.to, shape: ins[0]!.shape }],
  grad: ({ inputs, cotangents }) => {
    const x = inputs[0]!;
    return [isFloat(x.dtype) ? cast(cotangents[0]!, x.dtype) : null];
  },
  emit: (ctx, n) => ctx.node('Cast', n.inputs, n.outputs, { to: { i: ONNX_ELEM_TYPE[n.attrs.to] } }),
};

export function cast(x: Tensor, to: DType): Tensor {
  return x.dtype === to ? x : apply1(castOp, [x], { to });
}
