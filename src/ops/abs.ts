import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { unaryOp } from './_elementwise.js';
import { mul } from './mul.js';
import { sign } from './sign.js';

export const absOp = unaryOp('abs', 'Abs', (x, _y, dy) => mul(dy, sign(x)));

export function abs(x: Tensor): Tensor {
  return apply1(absOp, [x], null);
}
