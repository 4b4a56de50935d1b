import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { unaryOp } from './_elementwise.js';
import { mul } from './mul.js';
import { sub } from './sub.js';

export const sigmoidOp = unaryOp('sigmoid', 'Sigmoid', (_x, y, dy) => mul(dy, mul(y, sub(1, y))));

export function sigmoid(x: Tensor): Tensor {
  return apply1(sigmoidOp, [x], null);
}
