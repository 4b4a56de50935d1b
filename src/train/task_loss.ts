import type { Tensor } from '../core/tensor.js';
import { atmLoss } from '../models/usfm/atm_loss.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import type { LossFn } from '../nn/loss_fn.js';
import { crossEntropy, diceLoss } from '../nn/losses/index.js';
import { add, cast, mul } from '../ops/index.js';
import type { TaskSpec } from './evaluate.js';
import { taskForward } from './evaluate.js';

/**
 * The fine-tuning loss of a task model, as a {@link LossFn} over batches with `pixel_values`, drop-path
 * keep masks `dp{i}a`/`dp{i}m` and `labels` (cls) or `masks` (seg). Classification: label-smoothed CE
 * (0.1). Segmentation: UPerNet CE + softmax Dice + 0.4·auxiliary CE (the official recipe, plus Dice); ATM:
 * its own loss (atm_loss.ts).
 */
export function taskLoss(task: TaskSpec, cfg: UsfmConfig): LossFn {
  return (vb, b) => {
    const dp = Array.from({ length: cfg.depth }, (_, i) => ({ attn: b[`dp${i}a`]!, mlp: b[`dp${i}m`]! }));
    const { logits, aux, atm } = taskForward(task, cfg, vb, b.pixel_values!, dp);
    if (task.task === 'cls') return { loss: crossEntropy(logits, b.labels!, { labelSmoothing: 0.1 }) };
    const t: Tensor = cast(b.masks!, 'int64');
    if (atm) return { loss: atmLoss(atm, t) };
    return { loss: add(add(crossEntropy(logits, t), diceLoss(logits, t, { activation: 'softmax' })), mul(crossEntropy(aux!, t), 0.4)) };
  };
}
