import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { binaryOp } from './_elementwise.js';
import { lift } from './_util.js';
import { less } from './compare.js';
import { zerosLike } from './fill_like.js';
import { sumTo } from './unbroadcast.js';
import { where } from './where.js';

// Ties send the gradient to the first argument.
export const maximumOp = binaryOp('maximum', 'Max', (a, b, _y, dy, needs) => {
  const bWins = less(a, b);
  const z = zerosLike(dy);
  return [needs[0] ? sumTo(where(bWins, z, dy), a.shape) : null, needs[1] ? sumTo(where(bWins, dy, z), b.shape) : null];
});

export function maximum(a: Tensor, b: Tensor | number): Tensor {
  return apply1(maximumOp, [a, lift(b, a)], null);
}
