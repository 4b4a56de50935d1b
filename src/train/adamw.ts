import type { ParamSet } from './param_set.js';

export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
  /** Global-norm clipping threshold (0 or undefined: off). */
  readonly clipNorm?: number;
}

export interface AdamWState {
  readonly step: number;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

/**
 * The fused update over one parameter's range, kept monomorphic (typed arrays and numbers only) so V8
 * compiles one tight loop: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p·decay − stepSize·m / (√v·invSqrtBc2 + ε).
 */
function adamwKernel(
  p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, offset: number, size: number,
  b1: number, b2: number, decay: number, stepSize: number, invSqrtBc2: number, eps: number, clip: number,
): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0; i < size; i++) {
    const gi = g[i]! * clip;
    const j = offset + i;
    const mi = b1 * m[j]! + c1 * gi;
    const vi = b2 * v[j]! + c2 * gi * gi;
    m[j] = mi;
    v[j] = vi;
    p[j] = p[j]! * decay - (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps);
  }
}

/**
 * AdamW with decoupled weight decay (torch.optim.AdamW semantics), per-parameter lr multipliers and
 * decay flags, and global-norm gradient clipping; one fused loop over the flat parameter buffer.
 */
export class AdamW {
  readonly m: Float32Array;
  readonly v: Float32Array;
  private t = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly clipNorm: number;

  constructor(readonly params: ParamSet, opts: AdamWOptions = {}) {
    this.m = new Float32Array(params.size);
    this.v = new Float32Array(params.size);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.05;
    this.clipNorm = opts.clipNorm ?? 0;
  }

  get step(): number {
    return this.t;
  }

  /** Global L2 norm of the gradients. */
  static gradNorm(grads: ReadonlyMap<string, Float32Array>): number {
    let s = 0;
    for (const g of grads.values()) for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
    return Math.sqrt(s);
  }

  /**
   * One update with base learning rate `lr`. `grads` maps parameter names to gradients; a parameter
   * without one is skipped entirely (as torch skips params whose grad is None). Returns the
   * pre-clipping global gradient norm.
   */
  update(grads: ReadonlyMap<string, Float32Array>, lr: number): number {
    const norm = AdamW.gradNorm(grads);
    if (!Number.isFinite(norm)) throw new Error(`gradient norm is ${norm}`);
    const clip = this.clipNorm > 0 && norm > this.clipNorm ? this.clipNorm / (norm + 1e-6) : 1;
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    const sqrtBc2 = Math.sqrt(bc2);
    const p = this.params.flat;
    for (const slot of this.params.slots) {
      const g = grads.get(slot.spec.name);
      if (!g) continue;
      if (g.length !== slot.size) throw new Error(`gradient for ${slot.spec.name} has ${g.length} values, expected ${slot.size}`);
      const a = lr * slot.lrScale;
      adamwKernel(p, g, this.m, this.v, slot.offset, slot.size, b1, b2, slot.decay ? 1 - a * this.weightDecay : 1, a / bc1, 1 / sqrtBc2, eps, clip);
    }
    return norm;
  }

  state(): AdamWState {
    return { step: this.t, m: this.m, v: this.v };
  }

  restore(s: AdamWState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new Error('optimizer state does not match the parameters');
    this.m.set(s.m);
    this.v.set(s.v);
    this.t = s.step;
  }
}
