/**
 * Batched, prefetching input pipeline for fine-tuning. Items are loaded by an async `load`
 * function on the main thread; image decoding (sharp / libvips) runs on libuv's threadpool,
 * so keeping several loads in flight overlaps decoding with the JS resize/augment work.
 *
 * Reproducibility: each sample gets its own RNG derived from (seed, epoch, dataset index),
 * and the shuffle order from (seed, epoch) — results do not depend on timing or concurrency.
 */
import { availableParallelism } from 'node:os';
import type { HostTensor } from '../../core/host.js';
import { hostTensor } from '../../core/host.js';
import type { Rng } from '../../core/random.js';
import { Rng as RngClass } from '../../core/random.js';
import { sampleRng, sampleSeed } from './augment.js';

/** One loaded sample. */
export interface Sample {
  /** Normalised float32 image, shape [3, H, W]. */
  readonly image: HostTensor<'float32'>;
  /** Per-pixel class ids, H·W values (row-major), matching the image's H and W. */
  readonly mask?: Uint8Array;
  /** Class label. */
  readonly label?: number;
}

export interface Batch<T> {
  /** float32 [B, 3, H, W]. */
  readonly pixel_values: HostTensor<'float32'>;
  /** uint8 [B, H, W], when the samples have masks. */
  readonly masks?: HostTensor<'uint8'>;
  /** int64 [B], when the samples have labels. */
  readonly labels?: HostTensor<'int64'>;
  /** The batch's items, in batch order. */
  readonly items: T[];
}

export type LoadFn<T> = (item: T, rng: Rng, index: number) => Promise<Sample>;

export interface BatchLoaderOptions<T> {
  readonly batchSize: number;
  /** Shuffle each epoch (seeded by seed and epoch). Default false. */
  readonly shuffle?: boolean;
  /** Drop the last incomplete batch. Default false. */
  readonly dropLast?: boolean;
  /** Batches in flight ahead of the consumer. Default 2. */
  readonly prefetch?: number;
  /** Items loading in parallel. Default availableParallelism() * 2. */
  readonly concurrency?: number;
  /** Base seed for shuffling and per-sample RNGs. Default 0. */
  readonly seed?: number;
  /** Item name for error messages; default: a string item itself, or its image/path/name field. */
  readonly name?: (item: T) => string;
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`BatchLoader: ${what} must be a positive integer, got ${v}`);
  return v;
}

function defaultName(item: unknown): string | undefined {
  if (typeof item === 'string') return item;
  if (typeof item === 'object' && item !== null) {
    const rec = item as Record<string, unknown>;
    for (const key of ['image', 'path', 'name']) {
      const v = rec[key];
      if (typeof v === 'string') return v;
    }
  }
  return undefined;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim();
}

/** A FIFO concurrency limiter; `stop()` drops the queued tasks (their promises never settle). */
class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private stopped = false;
  constructor(private readonly max: number) {}
  run<R>(task: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const start = (): void => {
        this.active++;
        task().then(resolve, reject).finally(() => {
          this.active--;
          const next = this.queue.shift();
          if (next && !this.stopped) next();
        });
      };
      if (this.active < this.max) start();
      else this.queue.push(start);
    });
  }
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }
}

export class BatchLoader<T> {
  readonly items: readonly T[];
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly prefetch: number;
  readonly concurrency: number;
  readonly seed: number;
  private readonly load: LoadFn<T>;
  private readonly nameOf: (item: T) => string | undefined;

  constructor(items: readonly T[], load: LoadFn<T>, opts: BatchLoaderOptions<T>) {
    this.items = items;
    this.load = load;
    this.batchSize = positiveInt(opts.batchSize, 'batchSize');
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.prefetch = positiveInt(opts.prefetch ?? 2, 'prefetch');
    this.concurrency = positiveInt(opts.concurrency ?? availableParallelism() * 2, 'concurrency');
    this.seed = opts.seed ?? 0;
    this.nameOf = opts.name ?? defaultName;
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.items.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Dataset indices in epoch `epoch`'s order. */
  order(epoch: number): number[] {
    const idx = Array.from({ length: this.items.length }, (_, i) => i);
    if (this.shuffle) new RngClass(sampleSeed(this.seed, epoch, 0xffffffff)).shuffle(idx);
    return idx;
  }

  /** Dataset indices of each batch of epoch `epoch`. */
  plan(epoch: number): number[][] {
    const order = this.order(epoch);
    const out: number[][] = [];
    for (let i = 0; i < this.length; i++) out.push(order.slice(i * this.batchSize, (i + 1) * this.batchSize));
    return out;
  }

  /** Yields the batches of epoch `epoch` in order, loading up to `prefetch` batches ahead. */
  async *epoch(epoch: number): AsyncGenerator<Batch<T>, void, undefined> {
    const batches = this.plan(epoch);
    const limiter = new Limiter(this.concurrency);
    const inflight: Promise<Batch<T>>[] = [];
    let next = 0;
    const startNext = (): void => {
      const p = this.loadBatch(batches[next++]!, epoch, limiter);
      p.catch(() => undefined); // rejections are re-raised when awaited below
      inflight.push(p);
    };
    try {
      while (next < batches.length && inflight.length < this.prefetch) startNext();
      while (inflight.length > 0) {
        const batch = await inflight.shift()!;
        if (next < batches.length) startNext();
        yield batch;
      }
    } finally {
      limiter.stop();
    }
  }

  private async loadOne(index: number, epoch: number): Promise<Sample> {
    const item = this.items[index]!;
    try {
      return await this.load(item, sampleRng(this.seed, epoch, index), index);
    } catch (e) {
      const msg = firstLine(e);
      let name: string | undefined;
      try {
        name = this.nameOf(item);
      } catch {
        name = undefined;
      }
      const label = name === undefined || msg.includes(name) ? `item ${index}` : `item ${index} (${name})`;
      throw new Error(`BatchLoader: ${label}: ${msg}`);
    }
  }

  private async loadBatch(indices: readonly number[], epoch: number, limiter: Limiter): Promise<Batch<T>> {
    const samples = await Promise.all(indices.map((i) => limiter.run(() => this.loadOne(i, epoch))));
    return collate(samples, indices.map((i) => this.items[i]!), indices);
  }
}

/** Stack samples into a batch; all must share the image shape and have masks/labels alike. */
export function collate<T>(samples: readonly Sample[], items: T[], indices?: readonly number[]): Batch<T> {
  const first = samples[0];
  if (first === undefined) throw new Error('collate: empty batch');
  const where = (i: number): string => `item ${indices?.[i] ?? i}`;
  const shape = first.image.shape;
  if (shape.length !== 3 || shape[0] !== 3) throw new Error(`collate: ${where(0)}: image must be [3, H, W], got [${shape.join(', ')}]`);
  const [, h, w] = shape as [number, number, number];
  const n = 3 * h * w;
  const b = samples.length;
  const pixels = new Float32Array(b * n);
  const hasMask = first.mask !== undefined;
  const hasLabel = first.label !== undefined;
  const masks = hasMask ? new Uint8Array(b * h * w) : undefined;
  const labels = hasLabel ? new BigInt64Array(b) : undefined;
  samples.forEach((s, i) => {
    const sh = s.image.shape;
    if (sh.length !== 3 || sh[0] !== 3 || sh[1] !== h || sh[2] !== w) {
      throw new Error(`collate: ${where(i)}: image shape [${sh.join(', ')}] differs from [3, ${h}, ${w}]`);
    }
    pixels.set(s.image.data, i * n);
    if ((s.mask !== undefined) !== hasMask) throw new Error(`collate: ${where(i)}: some samples have masks and some do not`);
    if (masks && s.mask) {
      if (s.mask.length !== h * w) throw new Error(`collate: ${where(i)}: mask has ${s.mask.length} values, expected ${h}x${w}`);
      masks.set(s.mask, i * h * w);
    }
    if ((s.label !== undefined) !== hasLabel) throw new Error(`collate: ${where(i)}: some samples have labels and some do not`);
    if (labels && s.label !== undefined) {
      if (!Number.isInteger(s.label)) throw new Error(`collate: ${where(i)}: label ${s.label} is not an integer`);
      labels[i] = BigInt(s.label);
    }
  });
  const out: { -readonly [K in keyof Batch<T>]: Batch<T>[K] } = {
    pixel_values: hostTensor('float32', [b, 3, h, w], pixels),
    items,
  };
  if (masks) out.masks = hostTensor('uint8', [b, h, w], masks);
  if (labels) out.labels = hostTensor('int64', [b], labels);
  return out;
}
