import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AdamW } from './adamw.js';

/**
 * The one-line error that ends a run whose loss or gradient norm stopped being finite. Nothing is saved
 * from there on: last.safetensors and the run state stay those of the last finished epoch.
 */
export function nonFiniteStop(out: string, what: string, epoch: number, step: number): Error {
  const last = join(out, 'last.safetensors');
  const kept = existsSync(last) ? `last good checkpoint: ${last}` : 'no epoch had finished, so no checkpoint was written';
  return new Error(`${out}: ${what} at epoch ${epoch + 1}, step ${step + 1}; stopped (${kept}; try a lower --lr)`);
}

/** `opt.update`, with a non-finite gradient norm reported as {@link nonFiniteStop}. */
export async function updateOrStop(
  opt: AdamW, grads: ReadonlyMap<string, Float32Array>, lr: number, gradNorm: number | undefined, out: string, epoch: number, step: number,
): Promise<void> {
  const norm = gradNorm ?? AdamW.gradNorm(grads);
  if (!Number.isFinite(norm)) throw nonFiniteStop(out, `gradient norm is ${norm}`, epoch, step);
  await opt.update(grads, lr, norm);
}
