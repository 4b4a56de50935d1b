import type { Tensor } from '../core/tensor.js';
import { constant } from '../core/tensor.js';
import { atmLoss } from '../models/usfm/atm_loss.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import type { LossFn } from '../nn/loss_fn.js';
import { crossEntropy, diceLoss } from '../nn/losses/index.js';
import { add, cast, mul } from '../ops/index.js';
import type { TaskSpec } from './evaluate.js';
import { taskForward } from './evaluate.js';

/** Number of samples per class, classes 0 … classes−1. */
export function classCounts(labels: Iterable<number>, classes: number): number[] {
  const n = new Array<number>(classes).fill(0);
  for (const y of labels) n[y]!++;
  return n;
}

/** 'Balanced' class weights from per-class counts: n / (C·n_c), inverse class frequency with mean 1 over the samples. */
export function balancedClassWeights(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => total / (counts.length * c));
}

/**
 * The fine-tuning loss of a task model, as a {@link LossFn} over batches with `pixel_values`, drop-path
 * keep masks `dp{i}a`/`dp{i}m` and `labels` (cls) or `masks` (seg). Classification: label-smoothed CE
 * (0.1), optionally class-weighted. Segmentation: UPerNet CE + softmax Dice + 0.4·auxiliary CE (the official recipe, plus Dice); ATM:
 * its own loss (atm_loss.ts).
 */
export function taskLoss(task: TaskSpec, cfg: UsfmConfig, opts: { classWeights?: readonly number[] } = {}): LossFn {
  const cw = opts.classWeights;
  if (cw && (cw.length !== task.classes || !cw.every((w) => w > 0 && Number.isFinite(w)))) throw new Error(`class weights must be ${task.classes} positive numbers, got [${cw.join(', ')}]`);
  return (vb, b) => {
    const weight = cw ? constant({ dtype: 'float32', shape: [cw.length], data: Float32Array.from(cw) }) : undefined;
    const dp = Array.from({ length: cfg.depth }, (_, i) => ({ attn: b[`dp${i}a`]!, mlp: b[`dp${i}m`]! }));
    const { logits, aux, atm } = taskForward(task, cfg, vb, b.pixel_values!, dp);
    if (task.task === 'cls') return { loss: crossEntropy(logits, b.labels!, { labelSmoothing: 0.1, ...(weight ? { weight } : {}) }) };
    const t: Tensor = cast(b.masks!, 'int64');
    if (atm) return { loss: atmLoss(atm, t) };
    return { loss: add(add(crossEntropy(logits, t), diceLoss(logits, t, { activation: 'softmax' })), mul(crossEntropy(aux!, t), 0.4)) };
  };
}
