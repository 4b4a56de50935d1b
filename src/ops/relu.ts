import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { unaryOp } from './_elementwise.js';
import { cast } from './cast.js';
import { greater } from './compare.js';
import { mul } from './mul.js';

export const reluOp = unaryOp('relu', 'Relu', (x, _y, dy) => mul(dy, cast(greater(x, 0), x.dtype)));

export function relu(x: Tensor): Tensor {
  return apply1(reluOp, [x], null);
}
