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
