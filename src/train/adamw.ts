import { Worker } from 'node:worker_threads';
import type { KernelConsts, KernelRange } from './adamw_kernel.js';
import { adamwKernel, binPack } from './adamw_kernel.js';
import type { ParamSet } from './param_set.js';

type WorkerMessage =
  | { readonly kind: 'init'; readonly p: SharedArrayBuffer; readonly m: SharedArrayBuffer; readonly v: SharedArrayBuffer }
  /** `grads[i]` (transferred, not copied) holds the gradient of `ranges[i]`. */
  | { readonly kind: 'step'; readonly ranges: readonly KernelRange[]; readonly grads: readonly ArrayBuffer[]; readonly consts: KernelConsts };

/**
 * The worker's source: the same kernel functions, serialised, so it runs unchanged from dist/ or
 * under a TypeScript loader (a worker file would need one of its own).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const adamwKernel = ${adamwKernel.toString()};
let bufs = null;
parentPort.on('message', (msg) => {
  if (msg.kind === 'init') {
    bufs = { p: new Float32Array(msg.p), m: new Float32Array(msg.m), v: new Float32Array(msg.v) };
    return;
  }
  const k = msg.consts;
  msg.ranges.forEach((r, i) => adamwKernel(bufs.p, new Float32Array(msg.grads[i]), 0, bufs.m, bufs.v, r.offset, r.size, k.b1, k.b2, r.decay, r.stepSize, r.invSqrtBc2, k.eps, k.clip));
  parentPort.postMessage('done');
});`;

export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Decoupled weight decay (default 0.05, USFM's fine-tuning recipe; torch's own default is 0.01). */
  readonly weightDecay?: number;
  /** Global-norm clipping threshold (0 or undefined: off). */
  readonly clipNorm?: number;
  /**
   * Threads for the update (default 1: inline). With N > 1, m/v live in shared memory; the main thread
   * updates one share of the parameters in place and N − 1 workers the others: their parameters go
   * through a shared buffer (only those pages are ever touched), their gradients are transferred, so
   * `update` takes ownership of the gradient arrays (they are detached afterwards).
   */
  readonly threads?: number;
}

interface Pool {
  readonly workers: Worker[];
  readonly p: Float32Array;
}

/** A kernel range (one whole parameter) with its gradient. */
interface GradRange extends KernelRange {
  readonly g: Float32Array;
}

/** g's data as a transferable ArrayBuffer of exactly its bytes (zero-copy when g owns its buffer). */
function ownBuffer(g: Float32Array): ArrayBuffer {
  const b = g.buffer;
  if (b instanceof ArrayBuffer && g.byteOffset === 0 && g.byteLength === b.byteLength) return b;
  return g.slice().buffer as ArrayBuffer;
}

function shared(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(n * 4));
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
 * decay flags, and global-norm gradient clipping; one fused loop over the flat parameter buffer,
 * optionally split across worker threads.
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

  private readonly pool: Pool | null;

  constructor(readonly params: ParamSet, opts: AdamWOptions = {}) {
    const threads = opts.threads ?? 1;
    const n = params.size;
    this.m = threads > 1 ? shared(n) : new Float32Array(n);
    this.v = threads > 1 ? shared(n) : new Float32Array(n);
    this.paramSteps = new Float64Array(params.slots.length);
    this.pool = threads > 1 ? this.startPool(threads) : null;
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
  async update(grads: ReadonlyMap<string, Float32Array>, lr: number, gradNorm?: number): Promise<number> {
    const norm = gradNorm ?? AdamW.gradNorm(grads);
    if (!Number.isFinite(norm)) throw new Error(`gradient norm is ${norm}`);
    this.t++;
    const consts: KernelConsts = {
      b1: this.beta1,
      b2: this.beta2,
      eps: this.eps,
      clip: this.clipNorm > 0 && norm > this.clipNorm ? this.clipNorm / (norm + 1e-6) : 1,
    };
    const ranges: GradRange[] = [];
    this.params.slots.forEach((slot, si) => {
      const g = grads.get(slot.spec.name);
      if (!g) return;
      if (g.length !== slot.size) throw new Error(`gradient for ${slot.spec.name} has ${g.length} values, expected ${slot.size}`);
      const t = ++this.paramSteps[si]!;
      const a = lr * slot.lrScale;
      ranges.push({
        offset: slot.offset, size: slot.size, decay: slot.decay ? 1 - a * this.weightDecay : 1,
        stepSize: a / (1 - this.beta1 ** t), invSqrtBc2: 1 / Math.sqrt(1 - this.beta2 ** t), g,
      });
    });
    const shares = binPack(ranges, (this.pool?.workers.length ?? 0) + 1);
    const others = this.pool ? this.startShares(this.pool, shares.slice(1), consts) : Promise.resolve();
    const p = this.params.flat;
    for (const r of shares[0]!) {
      adamwKernel(p, r.g, 0, this.m, this.v, r.offset, r.size, consts.b1, consts.b2, r.decay, r.stepSize, r.invSqrtBc2, consts.eps, consts.clip);
    }
    await others;
    if (this.pool) for (const share of shares.slice(1)) for (const r of share) p.set(this.pool.p.subarray(r.offset, r.offset + r.size), r.offset);
    return norm;
  }

  private startPool(threads: number): Pool {
    const n = this.params.size;
    const pool: Pool = { workers: [], p: shared(n) };
    for (let i = 1; i < threads; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      const init: WorkerMessage = { kind: 'init', p: pool.p.buffer as SharedArrayBuffer, m: this.m.buffer as SharedArrayBuffer, v: this.v.buffer as SharedArrayBuffer };
      w.postMessage(init);
      pool.workers.push(w);
    }
    return pool;
  }

  /** Copy the workers' parameters into shared memory, hand them their gradients, start them. */
  private startShares(pool: Pool, shares: readonly GradRange[][], consts: KernelConsts): Promise<void> {
    const p = this.params.flat;
    for (const share of shares) for (const r of share) pool.p.set(p.subarray(r.offset, r.offset + r.size), r.offset);
    return Promise.all(pool.workers.map((w, i) => new Promise<void>((resolve, reject) => {
      const cleanup = (): void => { w.off('message', onDone); w.off('error', onError); w.off('exit', onExit); w.unref(); };
      const onError = (e: Error): void => { cleanup(); reject(new Error(`AdamW worker failed: ${e.message}`)); };
      const onExit = (code: number): void => { cleanup(); reject(new Error(`AdamW worker exited (code ${code}) during an update`)); };
      const onDone = (): void => { cleanup(); resolve(); };
      w.ref(); // keep the process alive while a share is in flight
      w.once('message', onDone);
      w.once('error', onError);
      w.once('exit', onExit);
      const ranges: KernelRange[] = shares[i]!.map(({ offset, size, decay, stepSize, invSqrtBc2 }) => ({ offset, size, decay, stepSize, invSqrtBc2 }));
      const grads = shares[i]!.map(({ g }) => ownBuffer(g));
      const msg: WorkerMessage = { kind: 'step', ranges, grads, consts };
      w.postMessage(msg, grads);
    }))).then(() => undefined);
  }

  /** Stop the worker threads (if any). */
  async close(): Promise<void> {
    if (this.pool) await Promise.all(this.pool.workers.map((w) => w.terminate()));
  }

  /** A copy of the optimizer state (safe to save while training goes on). */
  state(): AdamWState {
    return { step: this.t, paramSteps: this.paramSteps.slice(), m: this.m.slice(), v: this.v.slice() };
  }

  restore(s: AdamWState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new Error('optimizer state does not match the parameters');
    this.m.set(s.m);
    this.v.set(s.v);
    if (s.paramSteps.length !== this.paramSteps.length) throw new Error('optimizer state does not match the parameters');
    this.paramSteps.set(s.paramSteps);
    this.t = s.step;
  }
}
