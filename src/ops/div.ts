import { apply1 } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import { binaryOp } from './_elementwise.js';
import { lift } from './_util.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { sumTo } from './unbroadcast.js';

export const divOp = binaryOp('div', 'Div', (a, b, y, dy, needs) => [
  needs[0] ? sumTo(div(dy, b), a.shape) : null,
  needs[1] ? sumTo(neg(div(mul(dy, y), b)), b.shape) : null,
]);

export function div(a: Tensor | number, b: Tensor | number): Tensor {
  const like = a instanceof Tensor ? a : (b as Tensor);
  return apply1(divOp, [lift(a, like), lift(b, like)], null);
}
