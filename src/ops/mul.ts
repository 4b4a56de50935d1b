import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { binaryOp } from './_elementwise.js';
import { lift } from './_util.js';
import { sumTo } from './unbroadcast.js';

export const mulOp = binaryOp('mul', 'Mul', (a, b, _y, dy, needs) => [
  needs[0] ? sumTo(mul(dy, b), a.shape) : null,
  needs[1] ? sumTo(mul(dy, a), b.shape) : null,
]);

export function mul(a: Tensor, b: Tensor | number): Tensor {
  return apply1(mulOp, [a, lift(b, a)], null);
}
