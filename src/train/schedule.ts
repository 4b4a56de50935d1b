/**
 * Learning-rate schedules of the official USFM recipe (Swin/BEiT-style `build_scheduler`): timm's
 * `CosineLRScheduler` stepped per iteration (`t_in_epochs=False`, `warmup_prefix=True`,
 * `cycle_limit=1`, no cycle decay, no noise).
 */

export interface CosineWithWarmupOptions {
  /** Peak learning rate, reached at the end of warmup (`lr` of the optimizer). */
  readonly baseLr: number;
  /** Floor of the cosine (`lr_min`); held constant after `totalSteps`. */
  readonly minLr: number;
  /** Learning rate at step 0 (`warmup_lr_init`). Ignored when `warmupSteps` is 0. */
  readonly warmupLr: number;
  /** Iterations of linear warmup (`warmup_t`); 0 for none. */
  readonly warmupSteps: number;
  /** All iterations, warmup included (`epochs · iters_per_epoch`); must exceed `warmupSteps`. */
  readonly totalSteps: number;
}

/** A schedule: the learning rate to use for (0-based) iteration `step`. */
export type LrSchedule = (step: number) => number;

function finite(name: string, v: number): void {
  if (!Number.isFinite(v)) throw new Error(`cosineWithWarmup: ${name} must be a finite number, got ${v}`);
}

/**
 * Linear warmup then half-cosine decay, as timm's `CosineLRScheduler` with `warmup_prefix=True`:
 *
 * - `step < warmupSteps`: `warmupLr + step · (baseLr − warmupLr) / warmupSteps` (so warmup never
 *   quite reaches `baseLr`; the cosine starts there);
 * - `warmupSteps ≤ step < totalSteps`, with `t = step − warmupSteps` and
 *   `T = totalSteps − warmupSteps` (`t_initial`): `minLr + ½(baseLr − minLr)(1 + cos(π t / T))`;
 * - `step ≥ totalSteps`: `minLr` (the one cycle is over).
 *
 * Fractional steps are allowed (the formula is continuous in `step`); negative ones are not.
 */
export function cosineWithWarmup(opts: CosineWithWarmupOptions): LrSchedule {
  const { baseLr, minLr, warmupLr, warmupSteps, totalSteps } = opts;
  finite('baseLr', baseLr);
  finite('minLr', minLr);
  finite('warmupLr', warmupLr);
  finite('warmupSteps', warmupSteps);
  finite('totalSteps', totalSteps);
  if (warmupSteps < 0) throw new Error(`cosineWithWarmup: warmupSteps must be ≥ 0, got ${warmupSteps}`);
  if (totalSteps <= warmupSteps) {
    throw new Error(`cosineWithWarmup: totalSteps (${totalSteps}) must exceed warmupSteps (${warmupSteps}); the cosine phase would have no steps`);
  }
  const cosineSteps = totalSteps - warmupSteps;
  const warmupSlope = warmupSteps > 0 ? (baseLr - warmupLr) / warmupSteps : 0;
  return (step: number): number => {
    if (!Number.isFinite(step) || step < 0) throw new Error(`lr schedule: step must be a finite number ≥ 0, got ${step}`);
    if (step < warmupSteps) return warmupLr + step * warmupSlope;
    const t = step - warmupSteps;
    if (t >= cosineSteps) return minLr;
    return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos((Math.PI * t) / cosineSteps));
  };
}

/** The batch size the official recipe's learning rates are quoted for. */
export const LR_REFERENCE_BATCH = 512;

/**
 * The official linear batch-size scaling: `lr · batchSize · worldSize / 512`, where `batchSize` is the
 * per-process batch. The recipe scales `BASE_LR`, `WARMUP_LR` and `MIN_LR` alike. (Swin-derived
 * scripts also multiply by the gradient-accumulation steps when > 1; that is left to the caller.)
 */
export function scaleLr(lr: number, batchSize: number, worldSize = 1): number {
  if (!Number.isFinite(lr)) throw new Error(`scaleLr: lr must be finite, got ${lr}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`scaleLr: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`scaleLr: worldSize must be a positive integer, got ${worldSize}`);
  return (lr * batchSize * worldSize) / LR_REFERENCE_BATCH;
}
