import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Shape } from '../core/shape.js';
import { broadcastShapes, shapeEq, shapeStr } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { sumTo } from './unbroadcast.js';

/** Broadcast x to `shape`. */
export const expandOp: Op<{ readonly shape: Shape }> = {
  name: 'expand',
  infer: (ins, a) => {
    const out = broadcastShapes(ins[0]!.shape, a.shape);
    if (!shapeEq(out, a.shape)) throw new Error(`cannot expand ${shapeStr(ins[0]!.shape)} to ${shapeStr(a.shape)}`);
    return [{ dtype: ins[0]!.dtype, shape: a.shape }];
  },
  grad: ({ inputs, cotangents }) => [sumTo(cotangents[0]!, inputs[0]!.shape)],
  emit: (ctx, n) => ctx.node('Expand', [n.inputs[0]!, ctx.shapeTensor(n.attrs.shape)], n.outputs),
};

export function expand(x: Tensor, shape: Shape): Tensor {
  return shapeEq(x.shape, shape) ? x : apply1(expandOp, [x], { shape: [...shape] });
}
