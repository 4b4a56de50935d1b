import type { Tensor } from '../../core/tensor.js';
import { add, cast, div, equal, logSoftmax, mul, reduceSum, reshape, scalar, sub } from '../../ops/index.js';
import { classShape, numClasses, oneHot } from './_util.js';

export interface CrossEntropyOptions {
  /** torch label_smoothing: mixes in a uniform target with this weight. */
  readonly labelSmoothing?: number;
  /** Targets equal to this are skipped (torch default −100). */
  readonly ignoreIndex?: number;
  /** Per-class weights [C]. */
  readonly weight?: Tensor;
}

/**
 * torch.nn.functional.cross_entropy (reduction 'mean') of logits [N, C] or [N, C, d1, …] against integer
 * targets [N] / [N, d1, …]. Both the NLL and the label-smoothing term are averaged over non-ignored
 * targets, weighted by their class weights when given (as torch 1.13: Σ w[t]·… / Σ w[t]).
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const c = numClasses(logits);
  const eps = opts.labelSmoothing ?? 0;
  const ignore = opts.ignoreIndex ?? -100;
  if (eps < 0 || eps > 1) throw new Error('labelSmoothing must be in [0, 1]');
  const dt = logits.dtype;
  const logp = logSoftmax(logits, 1);
  const t = reshape(target, [target.shape[0]!, 1, ...target.shape.slice(1)]);
  const valid = sub(1, cast(equal(t, cast(scalar(ignore, 'int64'), t.dtype)), dt));
  let hot = oneHot(target, c, dt);
  if (ignore >= 0 && ignore < c) hot = mul(hot, valid);
  const w = opts.weight ? reshape(opts.weight, classShape(logits)) : null;
  const weighted = w ? mul(hot, w) : hot;
  const denom = w ? reduceSum(weighted) : reduceSum(valid);
  const nll = div(reduceSum(mul(weighted, logp)), denom);
  if (eps === 0) return mul(nll, -1);
  const perPos = reduceSum(w ? mul(logp, w) : logp, [1], true);
  const smooth = div(reduceSum(mul(perPos, valid)), denom);
  return mul(add(mul(nll, 1 - eps), mul(smooth, eps / c)), -1);
}

