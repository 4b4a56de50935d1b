/**
 * Batched pretraining input: each epoch's draws (`epochOrder`, balanced or not) fed to a
 * `BatchLoader` built for that epoch over the drawn items in order (shuffle off: the order
 * is already random). The BatchLoader keys each per-sample RNG by (seed, epoch, position in
 * the epoch), so an image drawn twice in one epoch gets two different augmentations, and
 * results do not depend on timing or concurrency.
 */
import type { Batch, LoadFn } from '../loader/loader.js';
import { BatchLoader } from '../loader/loader.js';
import type { Balance } from './sampler.js';
import { epochOrder, flattenSources } from './sampler.js';
import type { PretrainItem, PretrainSource } from './sources.js';

export interface PretrainLoaderOptions {
  readonly batchSize: number;
  /** 'source' (default): organ-balanced draws; 'none': plain shuffled epochs. */
  readonly balance?: Balance;
  /** Draws per epoch. Default: the total number of images. */
  readonly length?: number;
  /** Base seed for the epoch orders and per-sample RNGs. Default 0. */
  readonly seed?: number;
  /** Drop the last incomplete batch. Default true (pretraining wants full batches). */
  readonly dropLast?: boolean;
  /** Batches in flight ahead of the consumer (BatchLoader default 2). */
  readonly prefetch?: number;
  /** Items loading in parallel (BatchLoader default). */
  readonly concurrency?: number;
}

export class PretrainLoader {
  readonly sources: readonly PretrainSource[];
  /** All items, in source order: the index space of `order`. */
  readonly items: readonly PretrainItem[];
  readonly balance: Balance;
  /** Draws per epoch. */
  readonly epochLength: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly dropLast: boolean;
  private readonly load: LoadFn<PretrainItem>;
  private readonly opts: PretrainLoaderOptions;

  constructor(sources: readonly PretrainSource[], load: LoadFn<PretrainItem>, opts: PretrainLoaderOptions) {
    this.sources = sources;
    this.items = flattenSources(sources);
    this.load = load;
    this.opts = opts;
    this.balance = opts.balance ?? 'source';
    this.epochLength = opts.length ?? this.items.length;
    this.seed = opts.seed ?? 0;
    this.dropLast = opts.dropLast ?? true;
    this.batchSize = opts.batchSize;
    // Validates balance, length and the sources once, up front.
    epochOrder(sources, 0, this.seed, this.balance, this.epochLength);
    this.batchLoader([]);
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.epochLength;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Item indices drawn in epoch `epoch`, in order. */
  order(epoch: number): number[] {
    return epochOrder(this.sources, epoch, this.seed, this.balance, this.epochLength);
  }

  /** Yields the batches of epoch `epoch`. */
  epoch(epoch: number): AsyncGenerator<Batch<PretrainItem>, void, undefined> {
    return this.batchLoader(this.order(epoch).map((i) => this.items[i]!)).epoch(epoch);
  }

  private batchLoader(items: readonly PretrainItem[]): BatchLoader<PretrainItem> {
    const o = this.opts;
    return new BatchLoader(items, this.load, {
      batchSize: o.batchSize,
      dropLast: this.dropLast,
      seed: this.seed,
      ...(o.prefetch === undefined ? {} : { prefetch: o.prefetch }),
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    });
  }
}
