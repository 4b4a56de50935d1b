import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import { broadcastShapes } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { lift, sameDType } from './_util.js';
import { zerosLike } from './fill_like.js';
import { sumTo } from './unbroadcast.js';

export const whereOp: Op<null> = {
  name: 'where',
  infer: (ins) => {
    if (ins[0]!.dtype !== 'bool') throw new Error('condition must be bool');
    return [{ dtype: sameDType(ins.slice(1), 'where'), shape: broadcastShapes(ins[0]!.shape, broadcastShapes(ins[1]!.shape, ins[2]!.shape)) }];
  },
  grad: ({ inputs, cotangents, needs }) => {
    const [c, a, b] = inputs as [Tensor, Tensor, Tensor];
    const dy = cotangents[0]!;
    const z = zerosLike(dy);
    return [null, needs[1] ? sumTo(where(c, dy, z), a.shape) : null, needs[2] ? sumTo(where(c, z, dy), b.shape) : null];
  },
  emit: (ctx, n) => ctx.node('Where', n.inputs, n.outputs),
};

export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : undefined;
  if (!like) throw new Error('where: at least one branch must be a tensor');
  return apply1(whereOp, [cond, lift(a, like), lift(b, like)], null);
}
