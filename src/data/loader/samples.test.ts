import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { ClsItem } from '../datasets/cls.js';
import { scanSegDataset } from '../datasets/seg.js';
import { decodeImage } from '../decode.js';
import { imageToTensor } from '../preprocess.js';
import { sampleRng } from './augment.js';
import { BatchLoader } from './loader.js';
import { SamplePool } from './pool.js';
import { clsLoad, segLoad, segSample } from './samples.js';

// The shared data sits beside the repository (../shared), in CI as here.
const HC18 = fileURLToPath(new URL('../../../../shared/data/Seg/hc18', import.meta.url));
const SAMPLES = join(import.meta.dirname, '../../../samples');
const hasHc18 = existsSync(join(HC18, 'training_set'));

describe('clsLoad on the bundled samples', () => {
  const files = ['008_HC.png', '010_2HC.png', 'busi_benign.png', 'busi_malignant.png'];
  const items: ClsItem[] = files.map((f, i) => ({ path: join(SAMPLES, f), label: i % 2, className: i % 2 ? 'b' : 'a' }));

  it('batches normalised images and labels; no augmentation = official preprocessing', async () => {
    const loader = new BatchLoader(items, clsLoad({ size: 64, augment: false }), { batchSize: 4 });
    const batches = [];
    for await (const b of loader.epoch(0)) batches.push(b);
    assert.equal(batches.length, 1);
    const b = batches[0]!;
    assert.deepEqual(b.pixel_values.shape, [4, 3, 64, 64]);
    assert.equal(b.masks, undefined);
    assert.deepEqual(Array.from(b.labels!.data as BigInt64Array), [0n, 1n, 0n, 1n]);
    const ref = imageToTensor(await decodeImage(items[2]!.path), 64);
    assert.deepEqual(b.pixel_values.data.subarray(2 * ref.data.length, 3 * ref.data.length), ref.data);
  });
});

// Without ../shared/data only a check that fails under CI runs (CI always has the data).
if (!hasHc18) {
  it(`HC18 absent (${HC18}): allowed only outside CI`, () => assert.notEqual(process.env.CI, 'true'));
} else describe('segLoad on HC18', () => {
  it('loads 8 real pairs: shapes, binary masks, determinism, worker pool agrees', async () => {
    const ds = await scanSegDataset(HC18, 'train');
    const items = ds.items.slice(0, 8);
    const run = async (load = segLoad({ size: 224 })): Promise<{ px: Float32Array[]; m: Uint8Array[] }> => {
      const loader = new BatchLoader(items, load, { batchSize: 4, shuffle: true, seed: 3 });
      const px: Float32Array[] = [];
      const m: Uint8Array[] = [];
      for await (const b of loader.epoch(1)) {
        assert.deepEqual(b.pixel_values.shape, [4, 3, 224, 224]);
        assert.deepEqual(b.masks!.shape, [4, 224, 224]);
        assert.equal(b.labels, undefined);
        px.push(b.pixel_values.data);
        m.push(b.masks!.data);
      }
      return { px, m };
    };
    const a = await run();
    assert.equal(a.px.length, 2);
    for (const m of a.m) {
      assert.ok(m.every((v) => v === 0 || v === 1));
      const fg = m.reduce((s, v) => s + v, 0) / m.length;
      assert.ok(fg > 0.005 && fg < 0.9, `foreground fraction ${fg}`);
    }
    assert.deepEqual(await run(), a);
    const pool = new SamplePool({ size: 224, workers: 2 });
    try {
      assert.deepEqual(await run(pool.seg), a);
    } finally {
      await pool.close();
    }
  });

  it('without augmentation the image equals the official preprocessing', async () => {
    const item = (await scanSegDataset(HC18, 'train')).items[0]!;
    const s = await segSample(item, { size: 224, augment: false, rng: sampleRng(0, 0, 0) });
    assert.deepEqual(s.image.data, imageToTensor(await decodeImage(item.image), 224).data);
  });
});
