// Pretraining sources from the real datasets in ../shared/data: the three training folders
// of the pretraining example, and the same datasets given by their roots.
// Without that folder a single test runs, and it fails in CI, which always has the data.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { PretrainLoader } from './loader.js';
import { pretrainLoad } from './sample.js';
import { describeSources, scanSources } from './sources.js';

const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const FOLDERS = ['Seg/hc18/training_set/image', 'Cls/busi/train', 'Unlabeled/fetal_head'].map((d) => DATA + d);

const HELD_OUT = /[\\/](val|val_set|test|test_set|mask)[\\/]/;

if (!existsSync(DATA)) {
  it(`real data absent (${DATA}): allowed only outside CI`, () => {
    assert.notEqual(process.env.CI, 'true', `${DATA} is missing, and CI must have the real data`);
  });
} else {
  describe('pretraining sources on ../shared/data', () => {
    it('scans the three training folders: hc18 617, busi 414, fetal_head 335', async () => {
      const sources = await scanSources(FOLDERS);
      assert.deepEqual(sources.map((s) => [s.name, s.items.length]), [['hc18', 617], ['busi', 414], ['fetal_head', 335]]);
      for (const s of sources) {
        assert.deepEqual(s.notes, []);
        assert.ok(s.items.every((it) => it.path.startsWith(s.root + sep) && !HELD_OUT.test(it.path) && it.path.endsWith('.png')));
      }
      assert.equal(describeSources(sources)[0], '3 pretraining sources, 1366 images');
    });

    it('given the dataset roots, reads the same training images only', async () => {
      const [hc18, busi] = await scanSources([`${DATA}Seg/hc18`, `${DATA}Cls/busi`]);
      const [hcTrain, busiTrain] = await scanSources(FOLDERS.slice(0, 2));
      assert.deepEqual(hc18!.items.map((it) => it.path), hcTrain!.items.map((it) => it.path));
      assert.deepEqual(busi!.items.map((it) => it.path), busiTrain!.items.map((it) => it.path));
      assert.deepEqual(hc18!.notes, [
        'skipped held-out split folders (2): test_set, val_set',
        'skipped label folders (1): training_set/mask',
        'ignored non-image files (1): pixel_size_and_HC.csv',
      ]);
      assert.deepEqual(busi!.notes, ['skipped held-out split folders (2): test, val']);
    });

    it('loads a balanced batch of 12 at 224', async () => {
      const sources = await scanSources(FOLDERS);
      const loader = new PretrainLoader(sources, pretrainLoad({ imgSize: 224 }), { batchSize: 12, length: 12, seed: 1 });
      const batches = [];
      for await (const b of loader.epoch(0)) batches.push(b);
      assert.equal(batches.length, 1);
      const b = batches[0]!;
      assert.deepEqual(b.pixel_values.shape, [12, 3, 224, 224]);
      assert.deepEqual(['hc18', 'busi', 'fetal_head'].map((n) => b.items.filter((it) => it.source === n).length), [4, 4, 4]);
      const px = b.pixel_values.data;
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of px) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      assert.ok(lo >= -2.2 && hi <= 2.7 && hi > lo, `range ${lo}..${hi}`);
    });
  });
}
