import { adamwKernel } from './adamw_kernel.js';
import type { AdamWWasmFn } from './adamw_wasm.js';
import { instantiateAdamW } from './adamw_wasm.js';
import type { ParamSet } from './param_set.js';

export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Decoupled weight decay (default 0.05, USFM's fine-tuning recipe; torch's own default is 0.01). */
  readonly weightDecay?: number;
  /** Global-norm clipping threshold (0 or undefined: off). */
  readonly clipNorm?: number;
  /**
   * The update loop: 'wasm' (default where WebAssembly SIMD is available and the state fits wasm32's
   * 4 GiB), float32 f32x4 as torch computes it; 'js', V8's scalar float64 loop (the whole ViT-B update
   * ~3× slower).
   */
  readonly kernel?: 'wasm' | 'js';
}

/**
 * The wasm kernel and its memory: m at [0, n), v at [n, 2n), then one parameter's values and its
 * gradient (scratch of the largest parameter's size each), in float32 elements.
 */
interface WasmState {
  readonly adamw: AdamWWasmFn;
  readonly f32: Float32Array;
  readonly pScratch: number;
  readonly gScratch: number;
}

export interface AdamWState {
  /** Number of update() calls. */
  readonly step: number;
  /** Per-parameter step counts (a parameter without a gradient does not advance), in slot order. */
  readonly paramSteps: Float64Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

/**
 * AdamW with decoupled weight decay (torch.optim.AdamW semantics), per-parameter lr multipliers and
 * decay flags, and global-norm gradient clipping; one fused SIMD loop per parameter (see AdamWOptions).
 */
export class AdamW {
  readonly m: Float32Array;
  readonly v: Float32Array;
  private t = 0;
  private readonly paramSteps: Float64Array;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly clipNorm: number;
  /** The update loop in use (the wasm one unless asked otherwise or unavailable). */
  readonly kernel: 'wasm' | 'js';
  private readonly wasm: WasmState | null;

  constructor(readonly params: ParamSet, opts: AdamWOptions = {}) {
    const n = params.size;
    const largest = Math.max(0, ...params.slots.map((s) => s.size));
    const inst = opts.kernel === 'js' ? null : instantiateAdamW(4 * (2 * n + 2 * largest));
    if (opts.kernel === 'wasm' && !inst) throw new Error(`the wasm AdamW kernel is unavailable here (no WebAssembly SIMD, or ${n} parameters exceed wasm32's 4 GiB)`);
    if (inst) {
      const f32 = new Float32Array(inst.memory.buffer);
      this.wasm = { adamw: inst.adamw, f32, pScratch: 2 * n, gScratch: 2 * n + largest };
      this.m = f32.subarray(0, n);
      this.v = f32.subarray(n, 2 * n);
    } else {
      this.wasm = null;
      this.m = new Float32Array(n);
      this.v = new Float32Array(n);
    }
    this.kernel = this.wasm ? 'wasm' : 'js';
    this.paramSteps = new Float64Array(params.slots.length);
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
   * pre-clipping global gradient norm (pass it when already known, e.g. TrainStep's `gradNorm`, to
   * skip a pass over the gradients).
   */
  update(grads: ReadonlyMap<string, Float32Array>, lr: number, gradNorm?: number): number {
    const norm = gradNorm ?? AdamW.gradNorm(grads);
    if (!Number.isFinite(norm)) throw new Error(`gradient norm is ${norm}`);
    for (const slot of this.params.slots) {
      const g = grads.get(slot.spec.name);
      if (g && g.length !== slot.size) throw new Error(`gradient for ${slot.spec.name} has ${g.length} values, expected ${slot.size}`);
    }
    this.t++;
    const clip = this.clipNorm > 0 && norm > this.clipNorm ? this.clipNorm / (norm + 1e-6) : 1;
    const p = this.params.flat;
    this.params.slots.forEach((slot, si) => {
      const g = grads.get(slot.spec.name);
      if (!g) return;
      const t = ++this.paramSteps[si]!;
      const a = lr * slot.lrScale;
      const decay = slot.decay ? 1 - a * this.weightDecay : 1;
      const stepSize = a / (1 - this.beta1 ** t);
      const invSqrtBc2 = 1 / Math.sqrt(1 - this.beta2 ** t);
      const { offset, size } = slot;
      const w = this.wasm;
      if (!w) {
        adamwKernel(p, g, 0, this.m, this.v, offset, size, this.beta1, this.beta2, decay, stepSize, invSqrtBc2, this.eps, clip);
        return;
      }
      // p and g visit the wasm memory (m and v live there); the kernel takes byte offsets.
      w.f32.set(p.subarray(offset, offset + size), w.pScratch);
      w.f32.set(g, w.gScratch);
      w.adamw(4 * w.pScratch, 4 * w.gScratch, 4 * offset, 4 * (this.m.length + offset), size, this.beta1, 1 - this.beta1, this.beta2, 1 - this.beta2, decay, stepSize, invSqrtBc2, this.eps, clip);
      p.set(w.f32.subarray(w.pScratch, w.pScratch + size), offset);
    });
    return norm;
  }

  /** A copy of the optimizer state (safe to save while training goes on). */
  state(): AdamWState {
    return { step: this.t, paramSteps: this.paramSteps.slice(), m: this.m.slice(), v: this.v.slice() };
  }

  restore(s: AdamWState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length || s.paramSteps.length !== this.paramSteps.length) {
      throw new Error('optimizer state does not match the parameters');
    }
    this.m.set(s.m);
    this.v.set(s.v);
    this.paramSteps.set(s.paramSteps);
    this.t = s.step;
  }
}
