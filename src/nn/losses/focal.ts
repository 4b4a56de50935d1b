import type { Tensor } from '../../core/tensor.js';
import { abs, add, cast, exp, log, mul, powScalar, reduceMean, reduceSum, relu, sigmoid, sub } from '../../ops/index.js';

/** Numerically stable binary cross-entropy with logits, elementwise: max(x,0) − x·t + log(1 + e^−|x|). */
export function bceWithLogits(x: Tensor, t: Tensor): Tensor {
  return add(sub(relu(x), mul(x, t)), log(add(exp(mul(abs(x), -1)), 1)));
}

export interface FocalOptions {
  /** Weight of positives; negatives get 1 − alpha. Negative: no weighting (torchvision). */
  readonly alpha?: number;
  readonly gamma?: number;
  readonly reduction?: 'mean' | 'sum';
}

/** torchvision.ops.sigmoid_focal_loss: BCE·(1 − p_t)^γ·α_t, reduced to a scalar. Targets are 0/1 floats. */
export function sigmoidFocalLoss(logits: Tensor, target: Tensor, opts: FocalOptions = {}): Tensor {
  const alpha = opts.alpha ?? 0.25;
  const gamma = opts.gamma ?? 2;
  const t = cast(target, logits.dtype);
  const p = sigmoid(logits);
  const pt = add(mul(p, t), mul(sub(1, p), sub(1, t)));
  let loss = mul(bceWithLogits(logits, t), powScalar(sub(1, pt), gamma));
  if (alpha >= 0) loss = mul(loss, add(mul(t, alpha), mul(sub(1, t), 1 - alpha)));
  return opts.reduction === 'sum' ? reduceSum(loss) : reduceMean(loss);
}
