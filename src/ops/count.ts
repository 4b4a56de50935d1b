import { ONNX_ELEM_TYPE } from '../core/dtype.js';
import type { DType } from '../core/dtype.js';
import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { scalar } from './_util.js';

interface CountAttrs { readonly axes: readonly number[]; readonly dtype: DType }

/** Number of elements of x over `axes`, as a scalar; read at run time, so symbolic dims work. */
export const countOp: Op<CountAttrs> = {
  name: 'count',
  infer: (_ins, a) => [{ dtype: a.dtype, shape: [] }],
  grad: () => [null],
  emit: (ctx, n) => {
    const rank = n.inputMeta[0]!.shape.length;
    const [shape, picked, prod] = [ctx.tmp(), ctx.tmp(), ctx.tmp()];
    ctx.node('Shape', [n.inputs[0]!], [shape]);
    ctx.node('Gather', [shape, ctx.int64s(n.attrs.axes.map((a) => normAxis(a, rank)))], [picked], { axis: { i: 0 } });
    ctx.node('ReduceProd', [picked], [prod], { keepdims: { i: 0 } });
    ctx.node('Cast', [prod], n.outputs, { to: { i: ONNX_ELEM_TYPE[n.attrs.dtype] } });
  },
};

/** Element count of x over `axes` (a constant when those dims are concrete). */
export function count(x: Tensor, axes: readonly number[], dtype: DType = x.dtype): Tensor {
  let n = 1;
  for (const a of axes) {
    const d = x.shape[normAxis(a, x.rank)]!;
    if (typeof d !== 'number') return apply1(countOp, [x], { axes: [...axes], dtype });
    n *= d;
  }
  return scalar(n, dtype);
}
