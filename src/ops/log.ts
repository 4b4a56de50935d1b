import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { unaryOp } from './_elementwise.js';
import { div } from './div.js';

export const logOp = unaryOp('log', 'Log', (x, _y, dy) => div(dy, x));

export function log(x: Tensor): Tensor {
  return apply1(logOp, [x], null);
}
