import { constant } from '../../core/tensor.js';
import type { Tensor } from '../../core/tensor.js';
import { bceWithLogits, oneHot } from '../../nn/losses/index.js';
import {
  add, cast, div, greater, logSoftmax, maximum, mul, powScalar, reduceMean, reduceSum, reshape, resizeBilinear, sigmoid, slice, sub,
} from '../../ops/index.js';
import type { AtmOutputs } from './atm.js';

export interface AtmLossOptions {
  /** Weight of the class cross-entropy (official cls_weight 1). */
  readonly clsWeight?: number;
  /** Weight of the sigmoid focal mask loss (official mask_weight 20). */
  readonly maskWeight?: number;
  /** Weight of the Dice mask loss (official dice_weight 1). */
  readonly diceWeight?: number;
  /** Cross-entropy weight of the "no object" class (official eos_coef 0.1; the C real classes weigh 1). */
  readonly noObjectWeight?: number;
  /** Focal loss α and γ (official 0.25, 2). */
  readonly focalAlpha?: number;
  readonly focalGamma?: number;
  /**
   * Label never counted as a present class (official 255). Pixels with it are negatives in every
   * class mask, as the official loss (which does not mask them out of the focal or Dice sums).
   */
  readonly ignoreIndex?: number;
}

export interface AtmLossTerms {
  /** Weighted total: Σ over stages of cls·CE + mask·focal + dice·Dice. */
  readonly loss: Tensor;
  /** Unweighted terms per stage, coarse → fine (the last is the final stage). */
  readonly stages: readonly { readonly ce: Tensor; readonly focal: Tensor; readonly dice: Tensor }[];
}

/**
 * SegViT's ATMLoss as the official USFM SegVit config uses it (query = class, no Hungarian matching),
 * against integer labels [B, H, W]:
 * - Present classes: per image, the labels that occur (ignore index excluded). Labels outside [0, C)
 *   other than the ignore index are treated as absent (the official code would fail on them).
 * - CE over C + 1 classes on each stage's class logits [B, C, C+1]: query c's target is c when class c
 *   is present in that image, else "no object" (C); weights 1 for real classes and 0.1 for no-object,
 *   mean Σ w·nll / Σ w over all B·C queries (torch cross_entropy with weight).
 * - Mask terms on the present (image, class) masks only, with each stage's masks resized bilinearly to
 *   the label size (the final stage uses the input-size masks, as pred_masks), target = (label == c):
 *   sigmoid focal (α .25, γ 2) averaged over pixels and Dice 1 − (2Σpt + 1)/(Σp + Σt + 1), each summed
 *   over masks and divided by max(#present masks in the batch, 1) (single process: no all-reduce).
 * - Deep supervision: the same three terms on every stage (3 stages → 9 terms), summed with weights
 *   cls 1, mask 20, dice 1 (loss_weight 1).
 */
export function atmLossTerms(out: AtmOutputs, target: Tensor, o: AtmLossOptions = {}): AtmLossTerms {
  const [clsW, maskW, diceW] = [o.clsWeight ?? 1, o.maskWeight ?? 20, o.diceWeight ?? 1];
  const eos = o.noObjectWeight ?? 0.1;
  const alpha = o.focalAlpha ?? 0.25;
  const gamma = o.focalGamma ?? 2;
  const ignore = o.ignoreIndex ?? 255;
  const first = out.stages[0];
  if (!first) throw new Error('ATM outputs have no stages');
  const c = first.classLogits.shape[1];
  const [b, H, W] = target.shape;
  if (typeof c !== 'number' || typeof H !== 'number' || typeof W !== 'number' || target.rank !== 3) {
    throw new Error(`ATM loss needs concrete classes and labels [B, H, W], got [${target.shape.join(',')}]`);
  }
  const dt = first.classLogits.dtype;
  // One-hot targets [B, C, H, W] (out-of-range labels, the ignore index included, give all zeros).
  let t = oneHot(target, c, dt);
  if (ignore >= 0 && ignore < c) {
    const keep = Float32Array.from({ length: c }, (_, k) => (k === ignore ? 0 : 1));
    t = mul(t, cast(constant({ dtype: 'float32', shape: [1, c, 1, 1], data: keep }), dt));
  }
  const present = cast(greater(reduceSum(t, [2, 3]), 0), dt); // [B, C]
  const absent = sub(1, present);
  const numMasks = maximum(reduceSum(present), 1);
  // Picks logp[b, q, q] (query q's own class) from [B, C, C+1].
  const eye = Float32Array.from({ length: c * (c + 1) }, (_, i) => (Math.floor(i / (c + 1)) === i % (c + 1) ? 1 : 0));
  const diag = cast(constant({ dtype: 'float32', shape: [1, c, c + 1], data: eye }), dt);
  const ceWeight = add(present, mul(absent, eos));
  const stages = out.stages.map((s, i) => {
    const logp = logSoftmax(s.classLogits, -1);
    const own = reduceSum(mul(logp, diag), [2]);
    const none = reshape(slice(logp, 2, c, c + 1), [b!, c]);
    const nll = mul(add(mul(present, own), mul(absent, none)), -1);
    const ce = div(reduceSum(mul(ceWeight, nll)), reduceSum(ceWeight));
    const m = i === out.stages.length - 1 ? out.masks : s.masks;
    const x = resizeBilinear(m, [H, W]);
    const p = sigmoid(x);
    const pt = add(mul(p, t), mul(sub(1, p), sub(1, t)));
    let fl = mul(bceWithLogits(x, t), powScalar(sub(1, pt), gamma));
    if (alpha >= 0) fl = mul(fl, add(mul(t, alpha), mul(sub(1, t), 1 - alpha)));
    const focal = div(reduceSum(mul(reduceMean(fl, [2, 3]), present)), numMasks);
    const score = div(add(mul(reduceSum(mul(p, t), [2, 3]), 2), 1), add(add(reduceSum(p, [2, 3]), reduceSum(t, [2, 3])), 1));
    const dice = div(reduceSum(mul(sub(1, score), present)), numMasks);
    return { ce, focal, dice };
  });
  const loss = stages
    .map(({ ce, focal, dice }) => add(add(mul(ce, clsW), mul(focal, maskW)), mul(dice, diceW)))
    .reduce((a, v) => add(a, v));
  return { loss, stages };
}

/** The ATM loss as one scalar (see atmLossTerms). */
export function atmLoss(out: AtmOutputs, target: Tensor, o: AtmLossOptions = {}): Tensor {
  return atmLossTerms(out, target, o).loss;
}
