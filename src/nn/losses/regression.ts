import type { Tensor } from '../../core/tensor.js';
import { abs, cast, div, expand, mul, reduceMean, reduceSum, sub } from '../../ops/index.js';

function masked(err: Tensor, mask?: Tensor): Tensor {
  if (!mask) return reduceMean(err);
  const m = expand(cast(mask, err.dtype), err.shape);
  return div(reduceSum(mul(err, m)), reduceSum(m));
}

/** Mean absolute error; with a mask (bool or 0/1, broadcastable to pred), the mean over masked elements. */
export function l1Loss(pred: Tensor, target: Tensor, mask?: Tensor): Tensor {
  return masked(abs(sub(pred, target)), mask);
}

/** Mean squared error; with a mask (bool or 0/1, broadcastable to pred), the mean over masked elements. */
export function mseLoss(pred: Tensor, target: Tensor, mask?: Tensor): Tensor {
  const d = sub(pred, target);
  return masked(mul(d, d), mask);
}
