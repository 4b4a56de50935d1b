import { BUNDLED_MODEL, BUNDLED_NAME, resolveWeights } from '../models/usfm/bundled.js';
import type { ModelName } from '../models/usfm/config.js';
import { UsageError } from './errors.js';

/** `--weights` → checkpoint path, or null for `none`; `bundled` names the shipped ViT-T (see weights/README.md). */
export function bundledOr(arg: string, model: ModelName): string | null {
  try {
    return resolveWeights(arg, model);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The `--weights` default: the bundled ViT-T for `--model vit-t`; other models must name a checkpoint or none. */
export function defaultWeightsArg(v: unknown, model: ModelName): string {
  if (v !== undefined) return String(v);
  if (model === BUNDLED_MODEL) return BUNDLED_NAME;
  throw new UsageError(`--weights is required for --model ${model} (a checkpoint such as USFM_latest.pth for vit-b, or none)`);
}

export interface RecipeDefaults {
  /** Base lr at batch 512. */
  readonly lr: number;
  readonly layerDecay: number;
}

/**
 * Fine-tuning defaults by where the backbone comes from. Random init and our small bundled ViT-T: lr
 * 2e-2 (cls) / 1.28e-2 (seg) at batch 512 (3.1e-4 / 2e-4 at batch 8) without layer-wise decay — measured
 * best on BUSI and the HC18 subset (weights/README.md). Any other checkpoint (e.g. the official
 * USFM_latest.pth): the official recipe, lr 1.25e-3 (cls) / 3.2e-3 (seg) with layer decay 0.65.
 */
export function recipeDefaults(weightsArg: string, task: 'cls' | 'seg'): RecipeDefaults {
  if (weightsArg === 'none' || weightsArg === BUNDLED_NAME) return { lr: task === 'cls' ? 2e-2 : 1.28e-2, layerDecay: 1 };
  return { lr: task === 'cls' ? 1.25e-3 : 3.2e-3, layerDecay: 0.65 };
}
