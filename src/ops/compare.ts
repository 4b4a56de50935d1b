import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { binaryOp } from './_elementwise.js';
import { lift } from './_util.js';

// Comparisons produce bool and carry no gradient.
export const equalOp = binaryOp('equal', 'Equal', undefined, 'bool');
export const lessOp = binaryOp('less', 'Less', undefined, 'bool');
export const greaterOp = binaryOp('greater', 'Greater', undefined, 'bool');

export function equal(a: Tensor, b: Tensor | number): Tensor {
  return apply1(equalOp, [a, lift(b, a)], null);
}
export function less(a: Tensor, b: Tensor | number): Tensor {
  return apply1(lessOp, [a, lift(b, a)], null);
}
export function greater(a: Tensor, b: Tensor | number): Tensor {
  return apply1(greaterOp, [a, lift(b, a)], null);
}
