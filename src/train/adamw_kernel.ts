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

/** Run the kernel over ranges of flat buffers (gradients at the same offsets as parameters). */
export function runRanges(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, ranges: readonly KernelRange[], k: KernelConsts): void {
  for (const r of ranges) adamwKernel(p, g, r.offset, m, v, r.offset, r.size, k.b1, k.b2, r.decay, r.stepSize, r.invSqrtBc2, k.eps, k.clip);
}

/** Cut ranges into `parts` pieces of about equal element count (ranges may be split; extra fields are kept). */
export function partition<R extends KernelRange>(ranges: readonly R[], parts: number): R[][] {
  const total = ranges.reduce((a, r) => a + r.size, 0);
  const out: R[][] = Array.from({ length: parts }, () => []);
  const quota = Math.ceil(total / parts);
  let k = 0;
  let filled = 0;
  for (const r of ranges) {
    let { offset, size } = r;
    while (size > 0) {
      const take = Math.min(size, quota - filled);
      out[k]!.push({ ...r, offset, size: take });
      offset += take;
      size -= take;
      filled += take;
      if (filled >= quota && k < parts - 1) {
        k++;
        filled = 0;
      }
    }
  }
  return out;
}
