import { BUNDLED_MODEL, BUNDLED_NAME, isBundledWeights, resolveWeights } from '../models/usfm/bundled.js';
import { readSafetensorsMetadataSync } from '../checkpoint/safetensors.js';
import type { ModelName } from '../models/usfm/config.js';
import { RECORD_KEY } from '../train/pretrain_record.js';
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
  /** Epochs over the training split (finetune's default --epochs). */
  readonly epochs: number;
}

/**
 * Fine-tuning defaults by where the backbone comes from. Segmentation: lr 1.28e-2 at batch 512 (2e-4 at batch 8)
 * and no layer-wise decay, for random init and our small bundled ViT-T alike (decay cost 20 %-label HC18 segmentation
 * dearly, docs/pretraining). Classification: 2e-2 (3.1e-4 at batch 8) with layer decay 0.75 for the bundled backbone —
 * on BUSI, three seeds, it lifted val balanced accuracy from 0.525 / 0.688 / 0.495 to 0.698 / 0.723 / 0.689 against
 * no decay (docs/label-efficiency, busi-ld75) — and 6.4e-2 (1e-3 at batch 8) without decay from random init: on BUSI
 * from scratch 6.4e-2 beat 2e-2 with two seeds (balanced accuracy 0.618 / 0.525 vs 0.430 / 0.475) while the
 * bundled backbone fell from 0.537–0.600 to 0.476 at 6.4e-2 (docs/label-efficiency). Any other checkpoint
 * (e.g. the official USFM_latest.pth): the official recipe, lr 1.25e-3 (cls) / 3.2e-3 (seg), layer decay 0.65.
 * The bundled backbone is known by name or by content, so `--weights weights/usfm-vit-t.safetensors`
 * (or a copy of it) gets its recipe too. So does any encoder `usfm pretrain` wrote (a safetensors file carrying
 * its training record, `usfm convert`ed or not): the official recipe cost a 60-epoch encoder of ours 0.077 Dice on
 * 20 % of HC18 (docs/pretraining), and users fine-tuning their own pretraining should not fall into it.
 * Epochs: 30, except classification from a pretrained backbone, 60. Layer decay slows the lower blocks, and with it
 * the longer schedule paid on BUSI in three of three seeds (val balanced accuracy 0.773 / 0.731 / 0.768 against
 * 0.698 / 0.723 / 0.689 at 30 epochs; test 0.680 ± 0.037 against 0.639 ± 0.030; docs/label-efficiency,
 * busi-ld75-e60), while from random init 60 epochs scored no better than 30 (test 0.503 ± 0.014 against
 * 0.541 ± 0.067, same seeds; 90 epochs, seed 42: 0.553 against 0.618). Segmentation keeps 30: not measured longer
 * here (HC18 runs take 45 min at 30 epochs). The official recipe trains 200 / 400 epochs, on bigger machines.
 */
export function recipeDefaults(weightsArg: string, task: 'cls' | 'seg'): RecipeDefaults {
  return RECIPES[backboneSource(weightsArg)][task];
}

/** Where a backbone comes from, as far as the fine-tuning recipe is concerned (see recipeDefaults). */
export type BackboneSource = 'none' | 'ours' | 'official';

/** The recipes themselves, by source and task, for help texts that name them without a `--weights` to classify. */
export const RECIPES: Readonly<Record<BackboneSource, Readonly<Record<'cls' | 'seg', RecipeDefaults>>>> = {
  none: { seg: { lr: 1.28e-2, layerDecay: 1, epochs: 30 }, cls: { lr: 6.4e-2, layerDecay: 1, epochs: 30 } },
  ours: { seg: { lr: 1.28e-2, layerDecay: 1, epochs: 30 }, cls: { lr: 2e-2, layerDecay: 0.75, epochs: 60 } },
  official: { seg: { lr: 3.2e-3, layerDecay: 0.65, epochs: 30 }, cls: { lr: 1.25e-3, layerDecay: 0.65, epochs: 60 } },
};

/** `none`; the bundled backbone by name or content, or any encoder `usfm pretrain` wrote; else any other checkpoint. */
function backboneSource(weightsArg: string): BackboneSource {
  if (weightsArg === 'none') return 'none';
  if (weightsArg === BUNDLED_NAME || pretrainedHere(weightsArg) || isBundledWeights(weightsArg)) return 'ours';
  return 'official';
}

/**
 * Whether `path` is an encoder written by `usfm pretrain` (its safetensors metadata holds the training record),
 * told by content, not by name, as checkpoints are everywhere else (checkpoint/open.ts): a .pth or any other
 * file fails the header check. Anything unreadable is not: loading it later reports the problem with the file's name.
 */
export function pretrainedHere(path: string): boolean {
  try {
    return RECORD_KEY in readSafetensorsMetadataSync(path);
  } catch {
    return false;
  }
}
