import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ellipseCircumference } from '../../metrics/hc.js';
import { decodeImage } from '../decode.js';
import { maskToLabels } from './masks.js';
import { maskSpacing, parsePixelTable, readPixelTable } from './pixel_sizes.js';
import { scanSegDataset } from './seg.js';

const MINI = fileURLToPath(new URL('../../../samples/hc18-mini', import.meta.url));

describe('pixel size table', () => {
  it('parses HC18 rows and rejects malformed ones naming the line', () => {
    const t = parsePixelTable('filename,pixel size(mm),head circumference (mm)\r\n000_HC.png,0.069,44.3\n001_HC.png,0.0897,\n', 'x.csv');
    assert.deepEqual(t.get('000_HC.png'), { pixelSizeMm: 0.069, hcMm: 44.3 });
    assert.deepEqual(t.get('001_HC.png'), { pixelSizeMm: 0.0897 });
    assert.throws(() => parsePixelTable('filename,pixel size(mm)\na.png,-1\n', 'x.csv'), /^Error: x\.csv:2: bad row 'a\.png,-1'$/);
    assert.throws(() => parsePixelTable('name,size\n', 'x.csv'), /x\.csv: expected a header/);
  });

  it('scales the originals\' pixel size to the evaluated mask size', () => {
    assert.deepEqual(maskSpacing({ pixelSizeMm: 0.1 }, 540, 800), [0.1, 0.1]);
    const [sy, sx] = maskSpacing({ pixelSizeMm: 0.1 }, 224, 224);
    assert.ok(Math.abs(sy - 0.1 * 540 / 224) < 1e-12 && Math.abs(sx - 0.1 * 800 / 224) < 1e-12);
  });

  it('gives the reference head circumference from the bundled ground-truth masks, at any evaluation size', async () => {
    const table = await readPixelTable(MINI);
    assert.ok(table);
    const ds = await scanSegDataset(MINI, 'test');
    const rel: number[] = [];
    for (const item of ds.items) {
      const info = table.get(item.name)!;
      const m = await decodeImage(item.mask);
      const { labels } = maskToLabels(m, 'binary', { name: item.mask });
      const hc = ellipseCircumference(labels, m.height, m.width, maskSpacing(info, m.height, m.width));
      rel.push(Math.abs(hc - info.hcMm!) / info.hcMm!);
    }
    rel.sort((a, b) => a - b);
    // The annotations are ellipses, so the fitted ellipse must reproduce the reference within a few per cent.
    assert.ok(rel[rel.length >> 1]! < 0.02, `median relative HC error ${rel[rel.length >> 1]}`);
    assert.ok(rel[rel.length - 1]! < 0.05, `max relative HC error ${rel[rel.length - 1]}`);
  });
});
