// The pretrained backbone shipped with the package: our own ViT-T, pretrained with masked image modeling
// (USFM's spatial branch, mask-token fill) on the public ultrasound in ../shared/data (model card: weights/README.md).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { identicalFiles } from '../../checkpoint/identical.js';
import type { ModelName } from './config.js';

export const BUNDLED_NAME = 'bundled';
export const BUNDLED_MODEL: ModelName = 'vit-t';
export const BUNDLED_PATH = fileURLToPath(new URL('../../../weights/usfm-vit-t.safetensors', import.meta.url));

/**
 * Resolve a `--weights` value: `none` → null (random init), `bundled` → the shipped ViT-T (only for
 * --model vit-t), anything else is a checkpoint path.
 */
export function resolveWeights(arg: string, model: ModelName): string | null {
  if (arg === 'none') return null;
  if (arg !== BUNDLED_NAME) return arg;
  if (model !== BUNDLED_MODEL) throw new Error(`--weights bundled is a ${BUNDLED_MODEL}; for --model ${model} pass --weights CKPT (e.g. USFM_latest.pth for vit-b) or --weights none`);
  if (!existsSync(BUNDLED_PATH)) throw new Error(`${BUNDLED_PATH}: the bundled weights are missing from this installation`);
  return BUNDLED_PATH;
}

/**
 * Whether the checkpoint at `path` is the bundled ViT-T, by content: the same bytes as the shipped file,
 * wherever it lies (the package's own path, a copy beside a study, another installation).
 */
export function isBundledWeights(path: string): boolean {
  return identicalFiles(path, BUNDLED_PATH);
}
