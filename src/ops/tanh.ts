import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { unaryOp } from './_elementwise.js';
import { mul } from './mul.js';
import { sub } from './sub.js';

export const tanhOp = unaryOp('tanh', 'Tanh', (_x, y, dy) => mul(dy, sub(1, mul(y, y))));

export function tanh(x: Tensor): Tensor {
  return apply1(tanhOp, [x], null);
}
