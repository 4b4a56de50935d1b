/**
 * Seeded label subsets for label-efficiency experiments (train on 1 %, 10 %, … of the labels).
 *
 * Each stratum (class; the whole set when not stratified) gets one seeded permutation, and a
 * subset takes a prefix of each permutation. The per-stratum counts come from one seat order
 * shared by every ratio: first one seat per non-empty stratum, then each further seat to the
 * stratum furthest below its proportional share (largest remainder `k·nᵢ/n − aᵢ`, exact
 * integer arithmetic, ties to the stratum seen first). Because the counts for k seats extend
 * those for k − 1, subsets are nested: for one seed, the 10 % subset lies inside the 20 % one.
 * (Plain Hamilton rounding per k cannot promise that: it suffers the Alabama paradox.)
 * A stratum's count is almost always ⌊k·nᵢ/n⌋ or ⌈k·nᵢ/n⌉ (Hamilton's range); seats that
 * cannot be taken back can leave it off by a little over one, and the one-per-stratum
 * minimum can force more for tiny strata. The total is always exact.
 */
import { Rng } from '../../core/random.js';

export type StratumKey = string | number;

function checkArgs(ratio: number, seed: number): void {
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 0 || ratio > 1) {
    throw new Error(`labelSubset: ratio must be in (0, 1], got ${String(ratio)}`);
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new Error(`labelSubset: seed must be an integer, got ${String(seed)}`);
  }
}

/** Number of items kept from `n` at `ratio`: round(ratio·n), at least 1 when n > 0. */
export function subsetSize(n: number, ratio: number): number {
  if (n === 0) return 0;
  return Math.min(n, Math.max(1, Math.round(ratio * n)));
}

/**
 * Per-stratum counts for `total` seats over strata of the given sizes (all > 0), by the
 * shared seat order described above. `total` is raised to the number of strata if smaller.
 */
export function stratumCounts(sizes: readonly number[], total: number): number[] {
  const n = sizes.reduce((s, v) => s + v, 0);
  const counts = sizes.map(() => 1);
  const seats = Math.min(n, Math.max(total, sizes.length));
  for (let k = sizes.length + 1; k <= seats; k++) {
    let best = -1;
    let bestDeficit = 0;
    for (let i = 0; i < sizes.length; i++) {
      if (counts[i]! >= sizes[i]!) continue;
      const deficit = k * sizes[i]! - counts[i]! * n; // n·(k·nᵢ/n − aᵢ), exact
      if (best < 0 || deficit > bestDeficit) {
        best = i;
        bestDeficit = deficit;
      }
    }
    counts[best] = counts[best]! + 1;
  }
  return counts;
}

/**
 * Indices (ascending) of the items kept: see labelSubset. `keys[i]` is item i's stratum;
 * without keys the set is one stratum.
 */
export function subsetIndices(n: number, ratio: number, seed: number, keys?: readonly StratumKey[]): number[] {
  checkArgs(ratio, seed);
  if (keys !== undefined && keys.length !== n) throw new Error(`labelSubset: ${keys.length} stratum keys for ${n} items`);
  const all = Array.from({ length: n }, (_, i) => i);
  if (ratio === 1 || n === 0) return all;
  const strata = new Map<StratumKey, number[]>();
  for (let i = 0; i < n; i++) {
    const key = keys === undefined ? 0 : keys[i]!;
    const list = strata.get(key);
    if (list) list.push(i);
    else strata.set(key, [i]);
  }
  const groups = [...strata.values()];
  const counts = stratumCounts(
    groups.map((g) => g.length),
    subsetSize(n, ratio),
  );
  const rng = new Rng(seed);
  const kept: number[] = [];
  groups.forEach((g, i) => kept.push(...rng.shuffle(g.slice()).slice(0, counts[i])));
  return kept.sort((a, b) => a - b);
}

/**
 * A seeded, reproducible subset of `items` keeping round(ratio·n) of them (at least one,
 * and at least one per non-empty stratum, which can exceed round(ratio·n) when there are
 * more strata than that). With `stratifyBy` (e.g. `(it) => it.label`) counts are split
 * across strata in proportion to their sizes, summing exactly to round(ratio·n).
 * `ratio` must be in (0, 1]; ratio 1 returns every item. Items keep their original order.
 * For one seed, the subset at a smaller ratio is contained in the subset at a larger one.
 */
export function labelSubset<T>(items: readonly T[], ratio: number, seed: number, stratifyBy?: (item: T) => StratumKey): T[] {
  const keys = stratifyBy === undefined ? undefined : items.map((it) => stratifyBy(it));
  return subsetIndices(items.length, ratio, seed, keys).map((i) => items[i]!);
}
