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
    const m = this.m;
    const v = this.v;
    for (const slot of this.params.slots) {
      const g = grads.get(slot.spec.name);
      if (!g) continue;
      if (g.length !== slot.size) throw new Error(`gradient for ${slot.spec.name} has ${g.length} values, expected ${slot.size}`);
      const a = lr * slot.lrScale;
      const decay = slot.decay ? 1 - a * this.weightDecay : 1;
      const stepSize = a / bc1;
      const o = slot.offset;
      for (let i = 0; i < slot.size; i++) {
        const gi = g[i]! * clip;
        const j = o + i;
        const mi = (m[j] = b1 * m[j]! + (1 - b1) * gi);
        const vi = (v[j] = b2 * v[j]! + (1 - b2) * gi * gi);
        p[j] = p[j]! * decay - stepSize * mi / (Math.sqrt(vi) / sqrtBc2 + eps);
      }
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
