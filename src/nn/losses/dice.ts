import type { Tensor } from '../../core/tensor.js';
import { add, cast, div, equal, mul, reduceMean, reduceSum, reshape, scalar, sigmoid, slice, softmax, sub } from '../../ops/index.js';
import { numClasses, oneHot } from './_util.js';

/** Dice coefficient (2Σpt + smooth) / (Σp + Σt + smooth), summed over `axes` (default: everything). */
export function diceScore(p: Tensor, t: Tensor, smooth = 1, axes?: readonly number[]): Tensor {
  const inter = reduceSum(mul(p, t), axes);
  return div(add(mul(inter, 2), smooth), add(add(reduceSum(p, axes), reduceSum(t, axes)), smooth));
}

export interface DiceOptions {
  /**
   * 'sigmoid' (binary / multi-label): target is a 0/1 tensor shaped like the logits and one Dice is taken
   * over all elements, as the official ATM'22 loss. 'softmax' (multi-class): target holds class indices
   * [N, ...]; Dice per class over batch and space, averaged over classes.
   */
  readonly activation?: 'sigmoid' | 'softmax';
  /** Added to numerator and denominator (ATM uses 1). */
  readonly smooth?: number;
  /** softmax only: count class 0 in the average (default true). */
  readonly includeBackground?: boolean;
  /** softmax only: positions with this target are left out of both sums. */
  readonly ignoreIndex?: number;
}

/** Dice loss 1 − Dice on logits (see DiceOptions). */
export function diceLoss(logits: Tensor, target: Tensor, opts: DiceOptions = {}): Tensor {
  const smooth = opts.smooth ?? 1;
  if ((opts.activation ?? 'sigmoid') === 'sigmoid') {
    return sub(1, diceScore(sigmoid(logits), cast(target, logits.dtype), smooth));
  }
  const c = numClasses(logits);
  let p = softmax(logits, 1);
  let t = oneHot(target, c, logits.dtype);
  if (opts.ignoreIndex !== undefined) {
    const keep = sub(1, cast(equal(reshape(target, [target.shape[0]!, 1, ...target.shape.slice(1)]), cast(scalar(opts.ignoreIndex, 'int64'), target.dtype)), logits.dtype));
    p = mul(p, keep);
    t = mul(t, keep);
  }
  const axes = logits.shape.map((_, i) => i).filter((i) => i !== 1);
  let perClass = diceScore(p, t, smooth, axes);
  if (opts.includeBackground === false) perClass = slice(perClass, 0, 1, c);
  return sub(1, reduceMean(perClass));
}
