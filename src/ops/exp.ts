import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { unaryOp } from './_elementwise.js';
import { mul } from './mul.js';

export const expOp = unaryOp('exp', 'Exp', (_x, y, dy) => mul(dy, y));

export function exp(x: Tensor): Tensor {
  return apply1(expOp, [x], null);
}
