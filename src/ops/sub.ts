import { apply1 } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import { binaryOp } from './_elementwise.js';
import { lift } from './_util.js';
import { neg } from './neg.js';
import { sumTo } from './unbroadcast.js';

export const subOp = binaryOp('sub', 'Sub', (a, b, _y, dy, needs) => [
  needs[0] ? sumTo(dy, a.shape) : null,
  needs[1] ? sumTo(neg(dy), b.shape) : null,
]);

export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  const like = a instanceof Tensor ? a : (b as Tensor);
  return apply1(subOp, [lift(a, like), lift(b, like)], null);
}
