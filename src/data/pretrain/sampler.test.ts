import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { epochItems, epochOrder, flattenSources } from './sampler.js';

const sized = (...ns: number[]): { items: number[] }[] => {
  let next = 0;
  return ns.map((n) => ({ items: Array.from({ length: n }, () => next++) }));
};

/** Per-source draw counts of an order (sources laid out consecutively). */
function perSource(order: readonly number[], ns: readonly number[]): number[] {
  const ends = ns.map((_, i) => ns.slice(0, i + 1).reduce((a, b) => a + b, 0));
  const counts = ns.map(() => 0);
  for (const i of order) counts[ends.findIndex((e) => i < e)]!++;
  return counts;
}

describe('epochOrder', () => {
  it('is deterministic per (seed, epoch) and differs across epochs and seeds', () => {
    const src = sized(2, 50, 7);
    for (const b of ['source', 'none'] as const) {
      const a = epochOrder(src, 3, 11, b);
      assert.deepEqual(epochOrder(src, 3, 11, b), a);
      assert.notDeepEqual(epochOrder(src, 4, 11, b), a);
      assert.notDeepEqual(epochOrder(src, 3, 12, b), a);
      assert.equal(a.length, 59);
      assert.ok(a.every((i) => Number.isInteger(i) && i >= 0 && i < 59));
    }
  });

  it("'none' is a seeded permutation of all items each epoch (proportional sampling)", () => {
    const src = sized(2, 50);
    let small = 0;
    for (let e = 0; e < 20; e++) {
      const o = epochOrder(src, e, 0, 'none');
      assert.deepEqual([...o].sort((a, b) => a - b), Array.from({ length: 52 }, (_, i) => i));
      small += perSource(o, [2, 50])[0]!;
    }
    assert.equal(small, 40);
    // Other lengths continue through shuffled passes: 2 epochs of 26 = one full pass.
    const two = [...epochOrder(src, 0, 5, 'none', 26), ...epochOrder(src, 1, 5, 'none', 26)];
    assert.deepEqual(two.sort((a, b) => a - b), Array.from({ length: 52 }, (_, i) => i));
    const long = epochOrder(src, 0, 1, 'none', 52 * 40);
    assert.deepEqual(perSource(long, [2, 50]), [80, 2000]);
  });

  it("'source' balances a 2-image and a 50-image source 50/50", () => {
    const ns = [2, 50];
    const src = sized(...ns);
    for (let e = 0; e < 5; e++) {
      const o = epochOrder(src, e, 7, 'source');
      assert.equal(o.length, 52);
      assert.deepEqual(perSource(o, ns), [26, 26]);
      // Each small image is drawn 13 times (13 passes over the source).
      assert.deepEqual([0, 1].map((i) => o.filter((x) => x === i).length), [13, 13]);
    }
    // The large source is drawn without replacement: positions 0–25 (epoch 0) and 52–77
    // (epoch 2) lie inside one pass each, so their 26 draws are distinct.
    for (const e of [0, 2]) assert.equal(new Set(epochOrder(src, e, 7, 'source').filter((i) => i >= 2)).size, 26);
    // Successive epochs continue the large source's passes: epochs 0 and 1 (52 draws) cover it.
    const large = [0, 1].flatMap((e) => epochOrder(src, e, 7, 'source').filter((i) => i >= 2));
    assert.equal(new Set(large).size, 50);
  });

  it("'source' interleaves the sources (shuffled, not in blocks)", () => {
    const o = epochOrder(sized(2, 50), 0, 3, 'source');
    const firstHalf = perSource(o.slice(0, 26), [2, 50]);
    assert.ok(firstHalf[0]! > 5 && firstHalf[0]! < 21, `first half: ${firstHalf.join('/')}`);
  });

  it('spreads the remainder draws round-robin over epochs', () => {
    const ns = [3, 4, 10];
    const src = sized(...ns);
    const totals = [0, 0, 0];
    for (let e = 0; e < 6; e++) {
      const counts = perSource(epochOrder(src, e, 1, 'source', 10), ns);
      assert.ok(counts.every((c) => c === 3 || c === 4), counts.join('/'));
      counts.forEach((c, i) => (totals[i]! += c));
    }
    assert.deepEqual(totals, [20, 20, 20]);
    // And every draw of a source over those epochs walks its passes without replacement.
    const third = Array.from({ length: 6 }, (_, e) => epochOrder(src, e, 1, 'source', 10).filter((i) => i >= 7)).flat();
    assert.equal(third.length, 20);
    for (let p = 0; p < 2; p++) assert.equal(new Set(third.filter((_, j) => Math.floor(j / 10) === p)).size, 10);
  });

  it('takes any length, including fewer draws than sources', () => {
    const src = sized(1, 1, 1, 1, 1);
    const seen = new Set<number>();
    for (let e = 0; e < 5; e++) {
      const o = epochOrder(src, e, 0, 'source', 2);
      assert.equal(o.length, 2);
      o.forEach((i) => seen.add(i));
    }
    assert.equal(seen.size, 5);
    assert.equal(epochOrder(sized(3, 4), 0, 0, 'source', 1000).length, 1000);
  });

  it('rejects bad arguments', () => {
    assert.throws(() => epochOrder([], 0, 0, 'source'), /no sources/);
    assert.throws(() => epochOrder(sized(2, 0), 0, 0, 'source'), /source 1 has no items/);
    assert.throws(() => epochOrder(sized(2), -1, 0, 'source'), /epoch must be a non-negative integer/);
    assert.throws(() => epochOrder(sized(2), 0, 0, 'source', 0), /length must be a positive integer/);
    assert.throws(() => epochOrder(sized(2), 0, 0, 'sqrt' as 'none'), /balance must be 'source' or 'none'/);
  });
});

describe('epochItems / flattenSources', () => {
  it('map the order onto the items of all sources', () => {
    const src = [{ items: ['a', 'b'] }, { items: ['c'] }];
    assert.deepEqual(flattenSources(src), ['a', 'b', 'c']);
    const order = epochOrder(src, 2, 9, 'source', 8);
    assert.deepEqual(epochItems(src, 2, 9, 'source', 8), order.map((i) => ['a', 'b', 'c'][i]));
  });
});
