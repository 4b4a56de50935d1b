/**
 * Epoch orders for pretraining. Item indices refer to `flattenSources(sources)`: the items
 * of source 0, then of source 1, and so on.
 *
 * `balance: 'source'` (organ-balanced): every source gets the same share of an epoch, so a
 * large source cannot swamp a small one. An epoch of L draws over K sources gives each
 * source ⌊L/K⌋ draws; the L mod K extra draws go round-robin over the sources from epoch to
 * epoch (so over epochs every source gets the same number). This is "pick a source
 * uniformly per draw" with the multinomial noise removed. Within a source, images are drawn
 * without replacement: the source's images form an endless sequence of shuffled passes
 * (pass k a permutation seeded by seed, source and k), each epoch continuing where the
 * previous one stopped — a small source repeats once exhausted (reshuffled every pass), a
 * large one is fully covered over successive epochs. (An image may appear twice in a row
 * across a pass boundary.) The epoch's draws are then shuffled together.
 *
 * `balance: 'none'`: plain sampling, all items pooled: with the default length each epoch is
 * one seeded permutation of all items; other lengths continue through shuffled passes the
 * same way.
 *
 * Everything is a pure function of (seed, epoch): no state is carried between epochs, so a
 * resumed run sees the same orders.
 */
import { Rng } from '../../core/random.js';
import { sampleSeed } from '../loader/augment.js';

export type Balance = 'source' | 'none';

export const BALANCE_MODES: readonly Balance[] = ['source', 'none'];

/** Anything with an item list (a PretrainSource). */
export interface SizedSource<T = unknown> {
  readonly items: readonly T[];
}

/** Seed salt, so the sampler's streams never coincide with the loader's per-sample RNGs. */
const SALT_EPOCH = 0x5a3c9e1f;
const SALT_INDEX = 0x7f4a7c15;
/** Pool key of the pooled ('none') sequence; sources use their index. */
const POOLED = 0xffffffff;

/** All items of all sources, in source order: the index space of `epochOrder`. */
export function flattenSources<T>(sources: readonly SizedSource<T>[]): T[] {
  return sources.flatMap((s) => s.items);
}

/** Positions [start, start + count) of a pool's endless sequence of shuffled passes. */
function drawPasses(base: number, key: number, n: number, start: number, count: number, offset: number, out: number[]): void {
  let pass = -1;
  let perm: number[] = [];
  for (let p = start; p < start + count; p++) {
    const k = Math.floor(p / n);
    if (k !== pass) {
      pass = k;
      perm = new Rng(sampleSeed(base, key, k)).shuffle(Array.from({ length: n }, (_, i) => i));
    }
    out.push(offset + perm[p - k * n]!);
  }
}

function checkArgs(sizes: readonly number[], epoch: number, balance: string, length: number | undefined): number {
  if (sizes.length === 0) throw new Error('epochOrder: no sources');
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`epochOrder: epoch must be a non-negative integer, got ${epoch}`);
  if (!(BALANCE_MODES as readonly string[]).includes(balance)) {
    throw new Error(`epochOrder: balance must be 'source' or 'none', got '${balance}'`);
  }
  const empty = sizes.findIndex((n) => n === 0);
  if (empty >= 0) throw new Error(`epochOrder: source ${empty} has no items`);
  const total = sizes.reduce((a, b) => a + b, 0);
  const len = length ?? total;
  if (!Number.isInteger(len) || len < 1) throw new Error(`epochOrder: length must be a positive integer, got ${len}`);
  return len;
}

/**
 * Item indices (into `flattenSources(sources)`) drawn in epoch `epoch`; see the module notes.
 * `length` defaults to the total number of items.
 */
export function epochOrder(
  sources: readonly SizedSource[], epoch: number, seed: number, balance: Balance, length?: number,
): number[] {
  const sizes = sources.map((s) => s.items.length);
  const len = checkArgs(sizes, epoch, balance, length);
  const base = sampleSeed(seed, SALT_EPOCH, SALT_INDEX);
  const out: number[] = [];
  if (balance === 'none') {
    const total = sizes.reduce((a, b) => a + b, 0);
    drawPasses(base, POOLED, total, epoch * len, len, 0, out);
    return out;
  }
  const k = sizes.length;
  const q = Math.floor(len / k);
  const r = len % k;
  let offset = 0;
  for (let s = 0; s < k; s++) {
    // Extras go to sources (e·r + j) mod K, j < r: before epoch e, source s had
    // #{t < e·r : t ≡ s (mod K)} of them; in epoch e it gets one if (s - e·r) mod K < r.
    const extrasBefore = epoch * r > s ? Math.floor((epoch * r - 1 - s) / k) + 1 : 0;
    const extraNow = (((s - epoch * r) % k) + k) % k < r ? 1 : 0;
    drawPasses(base, s, sizes[s]!, epoch * q + extrasBefore, q + extraNow, offset, out);
    offset += sizes[s]!;
  }
  return new Rng(sampleSeed(base, epoch, POOLED)).shuffle(out);
}

/** The items of epoch `epoch`, in order (`epochOrder` mapped onto the flattened items). */
export function epochItems<T>(
  sources: readonly SizedSource<T>[], epoch: number, seed: number, balance: Balance, length?: number,
): T[] {
  const items = flattenSources(sources);
  return epochOrder(sources, epoch, seed, balance, length).map((i) => items[i]!);
}
