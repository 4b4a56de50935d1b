import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { unaryOp } from './_elementwise.js';
import { div } from './div.js';
import { mul } from './mul.js';

export const sqrtOp = unaryOp('sqrt', 'Sqrt', (_x, y, dy) => div(mul(dy, 0.5), y));

export function sqrt(x: Tensor): Tensor {
  return apply1(sqrtOp, [x], null);
}
