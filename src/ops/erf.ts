import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { unaryOp } from './_elementwise.js';
import { exp } from './exp.js';
import { mul } from './mul.js';

// d/dx erf(x) = 2/sqrt(pi) * exp(-x^2)
export const erfOp = unaryOp('erf', 'Erf', (x, _y, dy) => mul(dy, mul(exp(mul(mul(x, x), -1)), 2 / Math.sqrt(Math.PI))));

export function erf(x: Tensor): Tensor {
  return apply1(erfOp, [x], null);
}
