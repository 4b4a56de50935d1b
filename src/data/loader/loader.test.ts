import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostTensor } from '../../core/host.js';
import type { Rng } from '../../core/random.js';
import type { Batch, Sample } from './loader.js';
import { BatchLoader } from './loader.js';

interface Item { readonly name: string; readonly v: number }
const items: Item[] = Array.from({ length: 10 }, (_, i) => ({ name: `img${i}.png`, v: i }));

/** A fake 2x2 sample whose pixels hold the item's value, mask its value + 1, label its value. */
async function load(item: Item, rng: Rng): Promise<Sample> {
  await new Promise((r) => setTimeout(r, (item.v * 7) % 5)); // finish out of order
  const noise = rng.next();
  const image = hostTensor('float32', [3, 2, 2], new Float32Array(12).fill(item.v + noise / 10));
  return { image, mask: new Uint8Array(4).fill(item.v + 1), label: item.v };
}

async function collect<T>(gen: AsyncGenerator<Batch<T>>): Promise<Batch<T>[]> {
  const out: Batch<T>[] = [];
  for await (const b of gen) out.push(b);
  return out;
}
const order = (bs: Batch<Item>[]): number[] => bs.flatMap((b) => b.items.map((i) => i.v));

describe('BatchLoader', () => {
  it('yields batches in order with the right shapes and dtypes', async () => {
    const loader = new BatchLoader(items, load, { batchSize: 4, concurrency: 3 });
    assert.equal(loader.length, 3);
    const bs = await collect(loader.epoch(0));
    assert.deepEqual(bs.map((b) => b.pixel_values.shape), [[4, 3, 2, 2], [4, 3, 2, 2], [2, 3, 2, 2]]);
    assert.deepEqual(order(bs), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const b = bs[1]!;
    assert.equal(b.pixel_values.dtype, 'float32');
    assert.equal(Math.floor(b.pixel_values.data[12]!), 5);
    assert.deepEqual(b.masks?.shape, [4, 2, 2]);
    assert.equal(b.masks?.dtype, 'uint8');
    assert.deepEqual(Array.from(b.masks!.data.subarray(4, 8)), [6, 6, 6, 6]);
    assert.equal(b.labels?.dtype, 'int64');
    assert.deepEqual(Array.from(b.labels!.data as BigInt64Array), [4n, 5n, 6n, 7n]);
  });

  it('dropLast drops the incomplete batch', async () => {
    const loader = new BatchLoader(items, load, { batchSize: 4, dropLast: true });
    assert.equal(loader.length, 2);
    assert.deepEqual(order(await collect(loader.epoch(0))), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('shuffle is deterministic per (seed, epoch) and differs across epochs', async () => {
    const mk = (): BatchLoader<Item> => new BatchLoader(items, load, { batchSize: 3, shuffle: true, seed: 42, concurrency: 5, prefetch: 3 });
    const a0 = await collect(mk().epoch(0));
    const b0 = await collect(mk().epoch(0));
    const a1 = await collect(mk().epoch(1));
    assert.deepEqual(order(a0), order(b0));
    assert.deepEqual(a0.map((b) => Array.from(b.pixel_values.data)), b0.map((b) => Array.from(b.pixel_values.data)));
    assert.notDeepEqual(order(a0), order(a1));
    assert.deepEqual([...order(a0)].sort((x, y) => x - y), items.map((i) => i.v));
    assert.notDeepEqual(order(a0), items.map((i) => i.v));
  });

  it('per-sample randomness does not depend on concurrency or batch size', async () => {
    const byItem = async (batchSize: number, concurrency: number): Promise<Map<number, number>> => {
      const m = new Map<number, number>();
      for (const b of await collect(new BatchLoader(items, load, { batchSize, concurrency, shuffle: true, seed: 1 }).epoch(2))) {
        b.items.forEach((it, i) => m.set(it.v, b.pixel_values.data[i * 12]!));
      }
      return m;
    };
    assert.deepEqual(await byItem(4, 1), await byItem(3, 8));
  });

  it('rejects with the failing item named, on one line', async () => {
    const failing = async (item: Item, rng: Rng): Promise<Sample> => {
      if (item.v === 6) throw new Error('cannot decode image (bad\nhuffman table)');
      return load(item, rng);
    };
    const loader = new BatchLoader(items, failing, { batchSize: 4 });
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const b of loader.epoch(0)) seen.push(...b.items.map((i) => i.v));
      })(),
      (e: Error) => {
        assert.equal(e.message, 'BatchLoader: item 6 (img6.png): cannot decode image (bad');
        return true;
      },
    );
    assert.deepEqual(seen, [0, 1, 2, 3]);
  });

  it('stops cleanly when the consumer breaks early', async () => {
    let started = 0;
    const counting = async (item: Item, rng: Rng): Promise<Sample> => {
      started++;
      return load(item, rng);
    };
    const loader = new BatchLoader(items, counting, { batchSize: 2, prefetch: 1, concurrency: 1 });
    for await (const b of loader.epoch(0)) {
      assert.equal(b.items.length, 2);
      break;
    }
    await new Promise((r) => setTimeout(r, 30));
    assert.ok(started <= 4, `started ${started} loads after an early break`);
  });

  it('validates options', () => {
    assert.throws(() => new BatchLoader(items, load, { batchSize: 0 }), /batchSize must be a positive integer/);
  });
});
