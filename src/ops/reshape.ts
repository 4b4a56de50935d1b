import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Shape } from '../core/shape.js';
import { dimProd, shapeEq, shapeStr } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';

/** Reshape to an explicit target shape (symbolic dims allowed; no -1: give the dim). */
export const reshapeOp: Op<{ readonly shape: Shape }> = {
  name: 'reshape',
  infer: (ins, a) => {
    const from = dimProd(ins[0]!.shape);
    const to = dimProd(a.shape);
    if (typeof from === 'number' && typeof to === 'number' && from !== to) {
      throw new Error(`cannot reshape ${shapeStr(ins[0]!.shape)} to ${shapeStr(a.shape)}`);
    }
    return [{ dtype: ins[0]!.dtype, shape: a.shape }];
  },
  grad: ({ inputs, cotangents }) => [reshape(cotangents[0]!, inputs[0]!.shape)],
  emit: (ctx, n) => ctx.node('Reshape', [n.inputs[0]!, ctx.shapeTensor(n.attrs.shape)], n.outputs),
};

export function reshape(x: Tensor, shape: Shape): Tensor {
  return shapeEq(x.shape, shape) ? x : apply1(reshapeOp, [x], { shape: [...shape] });
}
