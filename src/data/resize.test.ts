import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeImage } from './decode.js';
import type { RasterImage } from './image.js';
import { resize, resizeBicubic, resizeBilinear, resizeNearest } from './resize.js';
import { fixtureManifest, fixtureNpy, fixturePath } from './testing/fixtures.js';

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function gray(width: number, height: number, f: (x: number, y: number) => number): RasterImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, channels: 1, data };
}

describe('resize matches Pillow goldens', async () => {
  const manifest = fixtureManifest();
  const sources = new Map<string, RasterImage>();
  for (const c of manifest.cases) {
    if (!sources.has(c.source)) sources.set(c.source, await decodeImage(fixturePath(c.source)));
  }
  for (const c of manifest.cases) {
    it(`${c.source} ${c.filter} → ${c.width}x${c.height}${c.box ? ` box [${c.box.join(', ')}]` : ''} (Pillow ${manifest.pillow})`, () => {
      const src = sources.get(c.source)!;
      const golden = fixtureNpy(c.golden);
      assert.equal(golden.dtype, 'uint8');
      assert.deepEqual(golden.shape, src.channels === 1 ? [c.height, c.width] : [c.height, c.width, src.channels]);
      const out = resize(src, c.width, c.height, c.filter, c.box ? { box: c.box } : {});
      assert.equal(out.width, c.width);
      assert.equal(out.height, c.height);
      assert.equal(out.channels, src.channels);
      assert.equal(maxAbsDiff(out.data, golden.data as Uint8Array), 0);
    });
  }
});

describe('resize', () => {
  it('same size returns an equal copy', () => {
    const img = gray(5, 4, (x, y) => x * 40 + y);
    const out = resize(img, 5, 4);
    assert.deepEqual(out.data, img.data);
    assert.notEqual(out.data, img.data);
  });

  it('keeps constant images constant for every filter and size', () => {
    const img: RasterImage = { width: 7, height: 5, channels: 3, data: new Uint8Array(7 * 5 * 3).fill(77) };
    for (const f of ['bicubic', 'bilinear', 'nearest', 'box', 'hamming', 'lanczos'] as const) {
      for (const [w, h] of [[3, 2], [20, 11], [7, 13]] as const) {
        const out = resize(img, w, h, f);
        assert.ok(out.data.every((v) => v === 77), `${f} ${w}x${h}`);
      }
    }
  });

  it('clips bicubic overshoot at hard edges to [0, 255]', () => {
    const img = gray(8, 1, (x) => (x < 4 ? 0 : 255));
    const out = resizeBicubic(img, 32, 1);
    assert.equal(Math.min(...out.data), 0);
    assert.equal(Math.max(...out.data), 255);
  });

  it('named helpers equal resize(…, filter)', () => {
    const img = gray(9, 6, (x, y) => (x * 37 + y * 91) & 255);
    assert.deepEqual(resizeBicubic(img, 4, 10).data, resize(img, 4, 10, 'bicubic').data);
    assert.deepEqual(resizeBilinear(img, 4, 10).data, resize(img, 4, 10, 'bilinear').data);
    assert.deepEqual(resizeNearest(img, 4, 10).data, resize(img, 4, 10, 'nearest').data);
  });

  it('nearest picks the source pixel under each output centre', () => {
    const img = gray(4, 1, (x) => x * 10);
    assert.deepEqual([...resizeNearest(img, 8, 1).data], [0, 0, 10, 10, 20, 20, 30, 30]);
    assert.deepEqual([...resizeNearest(img, 2, 1).data], [10, 30]);
    assert.deepEqual([...resizeNearest(img, 2, 1, [1, 0, 3, 1]).data], [10, 20]);
  });

  it('a box of the whole image equals no box', () => {
    const img = gray(10, 7, (x, y) => (x * 13 + y * 29) & 255);
    assert.deepEqual(resize(img, 6, 9, 'bicubic', { box: [0, 0, 10, 7] }).data, resize(img, 6, 9).data);
  });

  it('rejects bad sizes, boxes and buffers with one-line errors', () => {
    const img = gray(4, 4, () => 0);
    assert.throws(() => resize(img, 0, 3), /resize: invalid output size 0x3/);
    assert.throws(() => resize(img, 2.5, 3), /invalid output size/);
    assert.throws(() => resize(img, 2, 2, 'bicubic', { box: [0, 0, 5, 4] }), /box .* outside the 4x4 image/);
    assert.throws(() => resize({ ...img, data: new Uint8Array(3) }, 2, 2), /needs 16 bytes, got 3/);
    // @ts-expect-error unknown filter name
    assert.throws(() => resize(img, 2, 2, 'cubic'), /unknown filter 'cubic'/);
  });
});
