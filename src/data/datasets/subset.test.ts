import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelSubset, stratumCounts, subsetIndices, subsetSize } from './subset.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

interface Item {
  readonly id: number;
  readonly label: number;
}

/** 414 items, labels 0 / 1 / 2 in proportion 3 : 2 : 1, interleaved. */
const busiLike: Item[] = range(414).map((id) => ({ id, label: id % 6 < 3 ? 0 : id % 6 === 5 ? 2 : 1 }));
/** 232 / 112 / 70 items of labels 0 / 1 / 2 (BUSI's train split), interleaved. */
function busiItems(): Item[] {
  const sizes = [232, 112, 70];
  const out: Item[] = [];
  let id = 0;
  while (sizes.some((s) => s > 0)) {
    for (let l = 0; l < 3; l++) {
      if (sizes[l]! > 0) {
        out.push({ id: id++, label: l });
        sizes[l]!--;
      }
    }
  }
  return out;
}
const count = (items: readonly Item[], label: number): number => items.filter((it) => it.label === label).length;
const byLabel = (it: Item): number => it.label;

describe('labelSubset', () => {
  it('keeps round(ratio·n) items, at least one', () => {
    const items = range(101);
    for (const [ratio, k] of [
      [0.1, 10],
      [0.25, 25],
      [0.5, 51],
      [0.999, 101],
      [0.001, 1],
    ] as const) {
      assert.equal(labelSubset(items, ratio, 7).length, k, `ratio ${ratio}`);
    }
    assert.deepEqual(labelSubset([], 0.5, 1), []);
  });

  it('returns every item in original order at ratio 1', () => {
    const items = ['c', 'a', 'b'];
    const out = labelSubset(items, 1, 3);
    assert.deepEqual(out, items);
    assert.notEqual(out, items);
    assert.deepEqual(labelSubset(busiLike, 1, 9, byLabel), busiLike);
  });

  it('keeps the original order and never repeats an item', () => {
    const out = labelSubset(range(200), 0.3, 11);
    assert.deepEqual(
      out,
      [...new Set(out)].sort((a, b) => a - b),
    );
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const items = range(500);
    assert.deepEqual(labelSubset(items, 0.1, 42), labelSubset(items, 0.1, 42));
    assert.notDeepEqual(labelSubset(items, 0.1, 42), labelSubset(items, 0.1, 43));
    assert.deepEqual(labelSubset(busiLike, 0.2, 5, byLabel), labelSubset(busiLike.slice(), 0.2, 5, byLabel));
  });

  it('pins the first indices of a seeded subset (stable across runs and platforms)', () => {
    // Changing these values changes every published subset: only with intent.
    assert.deepEqual(subsetIndices(20, 0.25, 1234), [6, 8, 9, 11, 15]);
    assert.deepEqual(subsetIndices(12, 0.5, 7, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2]), [1, 2, 4, 6, 8, 10]);
  });

  it('stratifies with proportional, largest-remainder counts summing exactly', () => {
    const items = busiItems();
    const cases: [number, number[]][] = [
      [0.1, [23, 11, 7]], // quotas 22.97, 11.09, 6.93
      [0.01, [2, 1, 1]], // total round(4.14) = 4
      [0.5, [116, 56, 35]],
      [0.25, [58, 28, 18]], // 104 = round(103.5): quotas 58, 28, 17.5
    ];
    for (const [ratio, expected] of cases) {
      const out = labelSubset(items, ratio, 3, byLabel);
      assert.deepEqual([0, 1, 2].map((l) => count(out, l)), expected, `ratio ${ratio}`);
      assert.equal(out.length, subsetSize(items.length, ratio));
    }
  });

  it('keeps at least one item per non-empty stratum, even beyond round(ratio·n)', () => {
    const items: Item[] = [...range(98).map((id) => ({ id, label: 0 })), { id: 98, label: 1 }, { id: 99, label: 2 }];
    const out = labelSubset(items, 0.01, 1, byLabel);
    assert.deepEqual(
      [0, 1, 2].map((l) => count(out, l)),
      [1, 1, 1],
    );
    const mid = labelSubset(items, 0.05, 1, byLabel);
    assert.deepEqual(
      [0, 1, 2].map((l) => count(mid, l)),
      [3, 1, 1],
    );
  });

  it('accepts string stratum keys', () => {
    const items = range(30).map((i) => ({ cls: i < 20 ? 'benign' : 'normal' }));
    const out = labelSubset(items, 0.3, 2, (it) => it.cls);
    assert.deepEqual([out.filter((it) => it.cls === 'benign').length, out.filter((it) => it.cls === 'normal').length], [6, 3]);
  });

  it('nests: a smaller ratio gives a subset of a larger one, for the same seed', () => {
    const ratios = [0.01, 0.05, 0.1, 0.2, 0.37, 0.5, 0.8, 1];
    for (const seed of [0, 1, 99]) {
      for (const strat of [undefined, byLabel]) {
        const subsets = ratios.map((r) => new Set(labelSubset(busiLike, r, seed, strat)));
        for (let i = 1; i < subsets.length; i++) {
          for (const it of subsets[i - 1]!) assert.ok(subsets[i]!.has(it), `seed ${seed}, ratio ${ratios[i - 1]} ⊄ ${ratios[i]}`);
        }
      }
    }
  });

  it('nests for every k on awkward strata where per-k Hamilton rounding would not', () => {
    // Per-k Hamilton rounding on these sizes is not monotone (Alabama paradox): k = 38 gives
    // [6, 17, 0, 15] but k = 39 gives [5, 18, 0, 16], so stratum 0 would lose an item.
    // The shared seat order never takes one back.
    const sizes = [92, 299, 4, 265];
    const n = sizes.reduce((a, b) => a + b, 0);
    let prev = stratumCounts(sizes, 0);
    for (let k = 1; k <= n; k++) {
      const c = stratumCounts(sizes, k);
      assert.equal(
        c.reduce((a, b) => a + b, 0),
        Math.max(k, sizes.length),
      );
      c.forEach((v, i) => {
        assert.ok(v >= prev[i]!, `k ${k}`);
        assert.ok(v <= sizes[i]!);
        assert.ok(Math.abs(v - (k * sizes[i]!) / n) < 1.5 || k * sizes[i]! < n, `k ${k} stratum ${i}`);
      });
      prev = c;
    }
  });

  it('rejects bad ratios and seeds', () => {
    for (const r of [0, -0.1, 1.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => labelSubset(range(10), r, 1), /labelSubset: ratio must be in \(0, 1\]/, String(r));
    }
    assert.throws(() => labelSubset(range(10), '0.5' as unknown as number, 1), /ratio must be in/);
    assert.throws(() => labelSubset(range(10), 0.5, 1.5), /labelSubset: seed must be an integer, got 1.5/);
    assert.throws(() => subsetIndices(3, 0.5, 1, ['a']), /1 stratum keys for 3 items/);
  });
});
