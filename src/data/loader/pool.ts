/**
 * Worker-thread pool for `segSample` / `clsSample`. On small machines the main thread's
 * JS work (resize, augment, normalise) plus sharp's call overhead saturate one core while
 * libvips leaves the other idle; running whole samples in a few workers uses all cores.
 * Results are identical to the in-thread loaders: each request carries the sample's seed.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { hostTensor } from '../../core/host.js';
import type { ClsItem } from '../datasets/cls.js';
import type { SegItem } from '../datasets/seg.js';
import type { LoadFn, Sample } from './loader.js';
import type { WorkerRequest, WorkerResponse, WorkerSampleOptions } from './sample_worker.js';

export interface SamplePoolOptions extends WorkerSampleOptions {
  /** Worker threads. Default availableParallelism(). */
  readonly workers?: number;
  /** Receives non-fatal findings (e.g. thresholded mask noise). */
  readonly onWarning?: (msg: string) => void;
}

interface Pending {
  readonly resolve: (s: Sample) => void;
  readonly reject: (e: Error) => void;
  readonly worker: number;
}

/** Run from source (tsx) or from the build: the worker file has this module's extension. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./sample_worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);

/** A worker on the sample module; from source, tsx's loader is registered in the worker first. */
function startWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL);
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`
    + '.catch((e) => { setImmediate(() => { throw e; }); });';
  return new Worker(boot, { eval: true });
}

export class SamplePool {
  private readonly workers: Worker[] = [];
  private readonly load = new Map<number, number>();
  private readonly pending = new Map<number, Pending>();
  private readonly opts: WorkerSampleOptions;
  private readonly onWarning: ((msg: string) => void) | undefined;
  private nextId = 0;
  private closed = false;
  /** Workers that failed or exited: never chosen again. */
  private readonly dead = new Map<number, string>();
  /** Resolves when no load is pending (set while close() drains). */
  private drained: (() => void) | null = null;

  constructor(opts: SamplePoolOptions) {
    const { workers, onWarning, ...rest } = opts;
    const n = workers ?? availableParallelism();
    if (!Number.isInteger(n) || n < 1) throw new Error(`SamplePool: workers must be a positive integer, got ${n}`);
    this.opts = rest;
    this.onWarning = onWarning;
    for (let i = 0; i < n; i++) {
      const w = startWorker();
      w.on('message', (res: WorkerResponse) => this.settle(res));
      w.on('error', (e) => this.fail(i, `worker ${i} failed: ${e.message}`));
      w.on('exit', (code) => {
        if (!this.closed) this.fail(i, `worker ${i} exited with code ${code}`);
      });
      w.unref();
      this.workers.push(w);
      this.load.set(i, 0);
    }
  }

  /** Load function for segmentation items. */
  get seg(): LoadFn<SegItem> {
    return (item, rng) => this.submit({ id: this.nextId++, kind: 'seg', item, seed: rng.state, opts: this.opts });
  }

  /** Load function for classification items. */
  get cls(): LoadFn<ClsItem> {
    return (item, rng) => this.submit({ id: this.nextId++, kind: 'cls', item, seed: rng.state, opts: this.opts });
  }

  /**
   * Stops the workers. Loads already running are given up to `drainMs` to finish first (terminating a
   * worker in the middle of a native decode is not safe for every library); any still pending then reject.
   */
  async close(drainMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pending.size > 0 && drainMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => { this.drained = resolve; }),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, drainMs); }),
      ]);
      clearTimeout(timer);
      this.drained = null;
    }
    for (const [id, p] of this.pending) {
      p.reject(new Error('SamplePool: closed'));
      this.pending.delete(id);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private submit(req: WorkerRequest): Promise<Sample> {
    if (this.closed) return Promise.reject(new Error('SamplePool: closed'));
    let best = -1;
    for (let i = 0; i < this.workers.length; i++) {
      if (!this.dead.has(i) && (best < 0 || this.load.get(i)! < this.load.get(best)!)) best = i;
    }
    if (best < 0) return Promise.reject(new Error(`SamplePool: every worker has stopped (${[...this.dead.values()].join('; ')})`));
    this.load.set(best, this.load.get(best)! + 1);
    if (this.pending.size === 0) for (const w of this.workers) w.ref();
    return new Promise<Sample>((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject, worker: best });
      this.workers[best]!.postMessage(req);
    });
  }

  private done(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    this.pending.delete(id);
    this.load.set(p.worker, this.load.get(p.worker)! - 1);
    if (this.pending.size === 0) {
      for (const w of this.workers) w.unref();
      this.drained?.();
    }
    return p;
  }

  private settle(res: WorkerResponse): void {
    const p = this.done(res.id);
    if (p === undefined) return;
    if (!res.ok) {
      p.reject(new Error(res.error));
      return;
    }
    for (const w of res.warnings) this.onWarning?.(w);
    const s: { -readonly [K in keyof Sample]: Sample[K] } = { image: hostTensor('float32', res.shape, res.image) };
    if (res.mask) s.mask = res.mask;
    if (res.label !== undefined) s.label = res.label;
    p.resolve(s);
  }

  private fail(worker: number, msg: string): void {
    if (!this.dead.has(worker)) this.dead.set(worker, msg);
    for (const [id, p] of this.pending) if (p.worker === worker) this.done(id)?.reject(new Error(msg));
  }
}
