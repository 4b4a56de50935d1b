import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { binaryOp } from './_elementwise.js';
import { lift } from './_util.js';
import { sumTo } from './unbroadcast.js';

export const addOp = binaryOp('add', 'Add', (a, b, _y, dy, needs) => [
  needs[0] ? sumTo(dy, a.shape) : null,
  needs[1] ? sumTo(dy, b.shape) : null,
]);

export function add(a: Tensor, b: Tensor | number): Tensor {
  return apply1(addOp, [a, lift(b, a)], null);
}
