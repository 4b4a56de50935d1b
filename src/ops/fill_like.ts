import type { DType } from '../core/dtype.js';
import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { hostScalar } from './_util.js';

interface FillAttrs { readonly value: number; readonly dtype: DType }

/** A tensor of x's shape filled with a value (Shape + ConstantOfShape); constant w.r.t. x. */
export const fillLikeOp: Op<FillAttrs> = {
  name: 'fillLike',
  infer: (ins, a) => [{ dtype: a.dtype, shape: ins[0]!.shape }],
  grad: () => [null],
  emit(ctx, n) {
    const s = ctx.tmp('shape');
    ctx.node('Shape', [n.inputs[0]!], [s]);
    ctx.node('ConstantOfShape', [s], n.outputs, { value: { t: hostScalar(n.attrs.value, n.attrs.dtype, [1]) } });
  },
};

export function fillLike(x: Tensor, value: number, dtype: DType = x.dtype): Tensor {
  return apply1(fillLikeOp, [x], { value, dtype });
}

export function zerosLike(x: Tensor, dtype: DType = x.dtype): Tensor {
  return fillLike(x, 0, dtype);
}

export function onesLike(x: Tensor, dtype: DType = x.dtype): Tensor {
  return fillLike(x, 1, dtype);
}
