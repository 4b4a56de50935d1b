import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { unaryOp } from './_elementwise.js';

export const negOp = unaryOp('neg', 'Neg', (_x, _y, dy) => neg(dy));

export function neg(x: Tensor): Tensor {
  return apply1(negOp, [x], null);
}
