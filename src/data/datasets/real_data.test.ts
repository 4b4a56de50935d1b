// Scans of the real datasets in ../shared/data (HC18 segmentation, BUSI classification).
// Without that folder a single test runs, and it fails in CI, which always has the data.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { decodeImage } from '../decode.js';
import { scanClsDataset } from './cls.js';
import { maskToLabels } from './masks.js';
import { scanSegDataset } from './seg.js';
import { labelSubset } from './subset.js';

const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const HC18 = `${DATA}Seg/hc18`;
const BUSI = `${DATA}Cls/busi`;

if (!existsSync(DATA)) {
  it(`real data absent (${DATA}): allowed only outside CI`, () => {
    assert.notEqual(process.env.CI, 'true', `${DATA} is missing, and CI must have the real data`);
  });
} else {
  describe('HC18 segmentation layout', () => {
    it('has 617 / 93 / 92 image-mask pairs with matching names', async () => {
      const counts: number[] = [];
      for (const split of ['train', 'val', 'test'] as const) {
        const ds = await scanSegDataset(HC18, split);
        counts.push(ds.items.length);
        assert.deepEqual(ds.warnings, []);
        for (const it of ds.items) {
          assert.equal(basename(it.image), it.name);
          assert.equal(basename(it.mask), it.name);
        }
      }
      assert.deepEqual(counts, [617, 93, 92]);
    });

    it('has disjoint splits', async () => {
      const names = new Set<string>();
      for (const split of ['train', 'val', 'test'] as const) {
        for (const it of (await scanSegDataset(HC18, split)).items) {
          assert.ok(!names.has(it.name), `${it.name} in two splits`);
          names.add(it.name);
        }
      }
      assert.equal(names.size, 802);
    });

    it('has clean 0/255 masks of the image size', async () => {
      const { items } = await scanSegDataset(HC18, 'val');
      for (const it of items.slice(0, 5)) {
        const [img, mask] = await Promise.all([decodeImage(it.image), decodeImage(it.mask)]);
        const r = maskToLabels(mask, 'binary', { name: it.mask });
        assert.deepEqual([r.width, r.height], [img.width, img.height]);
        assert.deepEqual(r.warnings, []);
        const fg = r.labels.reduce((s, v) => s + v, 0);
        assert.ok(fg > 0 && fg < r.labels.length, `${it.mask}: foreground ${fg}`);
      }
    });
  });

  describe('BUSI classification layout', () => {
    it('has classes benign / malignant / normal and 414 / 93 / 93 images', async () => {
      const perClass: number[][] = [];
      for (const split of ['train', 'val', 'test'] as const) {
        const ds = await scanClsDataset(BUSI, split);
        assert.deepEqual(ds.classes, ['benign', 'malignant', 'normal']);
        assert.deepEqual(ds.warnings, []);
        perClass.push([0, 1, 2].map((l) => ds.items.filter((it) => it.label === l).length));
        for (const it of ds.items) assert.ok(it.path.includes(`/${split}/${it.className}/`));
      }
      assert.deepEqual(perClass, [
        [232, 112, 70],
        [52, 25, 16],
        [52, 25, 16],
      ]);
    });

    it('gives stratified, nested label subsets of the train split', async () => {
      const { items } = await scanClsDataset(BUSI, 'train');
      const s10 = labelSubset(items, 0.1, 0, (it) => it.label);
      const s20 = labelSubset(items, 0.2, 0, (it) => it.label);
      assert.deepEqual(
        [0, 1, 2].map((l) => s10.filter((it) => it.label === l).length),
        [23, 11, 7],
      );
      assert.equal(s20.length, 83);
      const in20 = new Set(s20.map((it) => it.path));
      assert.ok(s10.every((it) => in20.has(it.path)));
    });
  });
}
