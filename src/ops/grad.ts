import type { GradAlgebra } from '../core/grad.js';
import { reverseMode } from '../core/grad.js';
import type { Tensor } from '../core/tensor.js';
import { add } from './add.js';
import { fillLike } from './fill_like.js';

const algebra: GradAlgebra = {
  add: (a, b) => add(a, b),
  zeros: (like) => fillLike(like, 0),
  ones: (like) => fillLike(like, 1),
};

/** Gradients of `out` with respect to each tensor in `wrt`, as more graph (reverse mode). */
export function grad(out: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  return reverseMode(out, wrt, algebra, seed);
}
