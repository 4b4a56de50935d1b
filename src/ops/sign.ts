import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { unaryOp } from './_elementwise.js';
import { zerosLike } from './fill_like.js';

/** sign(x); its derivative is zero almost everywhere. */
export const signOp = unaryOp('sign', 'Sign', (x) => zerosLike(x));

export function sign(x: Tensor): Tensor {
  return apply1(signOp, [x], null);
}
