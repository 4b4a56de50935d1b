/** One contiguous stretch of parameters sharing a step size and decay factor. */
export interface KernelRange {
  readonly offset: number;
  readonly size: number;
  /** Multiplier applied to p before the step: 1 − lr·wd for decayed params, else 1. */
  readonly decay: number;
  /** lr / (1 − β1^t), t = this parameter's own step count (as torch). */
  readonly stepSize: number;
  /** 1 / √(1 − β2^t). */
  readonly invSqrtBc2: number;
}

export interface KernelConsts {
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;
  /** Gradient scale from global-norm clipping (1 = none). */
  readonly clip: number;
}

/**
 * The fused AdamW update over p[offset, offset+size) with gradients g[gOffset…], kept monomorphic
 * (typed arrays and numbers only) so V8 compiles one tight loop:
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p·decay − stepSize·m / (√v·invSqrtBc2 + ε).
 */
export function adamwKernel(
  p: Float32Array, g: Float32Array, gOffset: number, m: Float32Array, v: Float32Array, offset: number, size: number,
  b1: number, b2: number, decay: number, stepSize: number, invSqrtBc2: number, eps: number, clip: number,
): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0; i < size; i++) {
    const gi = g[gOffset + i]! * clip;
    const j = offset + i;
    const mi = b1 * m[j]! + c1 * gi;
    const vi = b2 * v[j]! + c2 * gi * gi;
    m[j] = mi;
    v[j] = vi;
    p[j] = p[j]! * decay - (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps);
  }
}

/** Deal whole ranges into `bins` groups of about equal element count (largest first, to the lightest bin). */
export function binPack<R extends KernelRange>(ranges: readonly R[], bins: number): R[][] {
  const out: R[][] = Array.from({ length: bins }, () => []);
  const load = new Array<number>(bins).fill(0);
  for (const r of [...ranges].sort((a, b) => b.size - a.size)) {
    const k = load.indexOf(Math.min(...load));
    out[k]!.push(r);
    load[k]! += r.size;
  }
  return out;
}
