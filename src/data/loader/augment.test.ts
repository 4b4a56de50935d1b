import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../core/random.js';
import type { RasterImage } from '../image.js';
import { resize } from '../resize.js';
import {
  augmentSample, cropRaster, DEFAULT_AUGMENT, hflip, jitterRaster, NO_AUGMENT, randomCropBox, rot90, sampleRng, sampleSeed, vflip,
} from './augment.js';

/** 3 wide, 2 high: values 1..6 row-major. */
const tiny = (c = 1): RasterImage => {
  const data = new Uint8Array(6 * c);
  for (let i = 0; i < 6; i++) for (let k = 0; k < c; k++) data[i * c + k] = (i + 1) * 10 + k;
  return { width: 3, height: 2, channels: c, data };
};
const vals = (r: RasterImage): number[] => Array.from(r.data);

function noise(w: number, h: number, c: number, seed: number): RasterImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(w * h * c);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { width: w, height: h, channels: c, data };
}

describe('geometric primitives', () => {
  it('hflip / vflip on a 3x2 raster', () => {
    assert.deepEqual(vals(hflip(tiny())), [30, 20, 10, 60, 50, 40]);
    assert.deepEqual(vals(vflip(tiny())), [40, 50, 60, 10, 20, 30]);
    assert.deepEqual(vals(hflip(tiny(2))), [30, 31, 20, 21, 10, 11, 60, 61, 50, 51, 40, 41]);
  });

  it('rot90 matches numpy rot90 (counter-clockwise)', () => {
    // [[1,2,3],[4,5,6]] → k=1: [[3,6],[2,5],[1,4]]; k=2: [[6,5,4],[3,2,1]]; k=3: [[4,1],[5,2],[6,3]]
    const r1 = rot90(tiny(), 1);
    assert.equal(r1.width, 2);
    assert.equal(r1.height, 3);
    assert.deepEqual(vals(r1), [30, 60, 20, 50, 10, 40]);
    assert.deepEqual(vals(rot90(tiny(), 2)), [60, 50, 40, 30, 20, 10]);
    assert.deepEqual(vals(rot90(tiny(), 3)), [40, 10, 50, 20, 60, 30]);
    assert.deepEqual(vals(rot90(tiny(), 4)), vals(tiny()));
    assert.deepEqual(vals(rot90(rot90(tiny(3), 1), 3)), vals(tiny(3)));
  });

  it('cropRaster copies the region and rejects out-of-bounds boxes', () => {
    assert.deepEqual(vals(cropRaster(tiny(), 1, 0, 2, 2)), [20, 30, 50, 60]);
    assert.throws(() => cropRaster(tiny(), 2, 0, 2, 1), /outside the 3x2 image/);
  });
});

describe('randomCropBox', () => {
  it('stays inside the image with area and ratio in range', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 500; i++) {
      const b = randomCropBox(rng, 384, 259, [0.3, 1], [3 / 4, 4 / 3]);
      assert.ok(b.x >= 0 && b.y >= 0 && b.width >= 1 && b.height >= 1);
      assert.ok(b.x + b.width <= 384 && b.y + b.height <= 259, JSON.stringify(b));
      const frac = (b.width * b.height) / (384 * 259);
      assert.ok(frac > 0.29 && frac <= 1.0001, `area ${frac}`);
    }
  });

  it('falls back to a centre crop clamped to the ratio range', () => {
    const b = randomCropBox(new Rng(1), 400, 10, [0.99, 1], [1, 1]);
    assert.deepEqual(b, { x: 195, y: 0, width: 10, height: 10 });
  });
});

describe('augmentSample', () => {
  const img = noise(40, 30, 3, 1);
  const mask: RasterImage = { width: 40, height: 30, channels: 1, data: new Uint8Array(40 * 30).map((_, i) => (i % 7 === 0 ? 1 : 0)) };

  it('is deterministic per (seed, epoch, index) and varies with the index', () => {
    const a = augmentSample(img, mask, 16, sampleRng(3, 1, 5));
    const b = augmentSample(img, mask, 16, sampleRng(3, 1, 5));
    assert.deepEqual(vals(a.image), vals(b.image));
    assert.deepEqual(vals(a.mask!), vals(b.mask!));
    const outs = new Set<string>();
    for (let i = 0; i < 16; i++) outs.add(vals(augmentSample(img, mask, 16, sampleRng(3, 1, i)).image).join());
    assert.ok(outs.size >= 6, `only ${outs.size} distinct outputs over 16 indices`);
    assert.notEqual(sampleSeed(3, 1, 5), sampleSeed(3, 2, 5));
    assert.notEqual(sampleSeed(3, 1, 5), sampleSeed(4, 1, 5));
  });

  it('no augmentation = Pillow bicubic resize; mask = nearest resize', () => {
    const r = augmentSample(img, mask, 16, sampleRng(0, 0, 0), NO_AUGMENT);
    assert.deepEqual(vals(r.image), vals(resize(img, 16, 16, 'bicubic')));
    assert.deepEqual(vals(r.mask!), vals(resize(mask, 16, 16, 'nearest')));
  });

  it('transforms the mask exactly as the image (same-size input, flips and rot90 forced)', () => {
    const square = noise(8, 8, 1, 9);
    for (let i = 0; i < 20; i++) {
      const r = augmentSample(square, square, 8, sampleRng(0, 0, i), { hflip: 1, vflip: 0.5, rot90: 1 });
      assert.deepEqual(vals(r.image), vals(r.mask!));
    }
    // hflip only: exactly a mirror.
    const h = augmentSample(square, square, 8, sampleRng(0, 0, 0), { hflip: 1, vflip: 0, rot90: 0 });
    assert.deepEqual(vals(h.image), vals(hflip(square)));
  });

  it('random resized crop applies one box to image and mask', () => {
    // A mask equal to the image's gray level: nearest-resized crop of the image must match it.
    const gray = noise(50, 40, 1, 4);
    for (let i = 0; i < 10; i++) {
      const opts = { ...NO_AUGMENT, crop: { scale: [0.2, 0.6] as [number, number] } };
      const r = augmentSample(gray, gray, 12, sampleRng(1, 0, i), opts);
      // Redo the draws: the crop box is the first thing drawn after the crop-probability draw.
      const rng = sampleRng(1, 0, i);
      rng.next();
      const b = randomCropBox(rng, 50, 40, [0.2, 0.6]);
      const crop = cropRaster(gray, b.x, b.y, b.width, b.height);
      assert.deepEqual(vals(r.image), vals(resize(crop, 12, 12, 'bicubic')));
      assert.deepEqual(vals(r.mask!), vals(resize(crop, 12, 12, 'nearest')));
    }
  });

  it('jitter changes the image only; defaults leave intensities untouched', () => {
    const r = augmentSample(img, mask, 40, sampleRng(0, 0, 1), { ...NO_AUGMENT, jitter: { brightness: 0.5, contrast: 0.5 } });
    assert.notDeepEqual(vals(r.image), vals(img));
    assert.deepEqual(vals(r.mask!), vals(resize(mask, 40, 40, 'nearest')));
    const sq = noise(20, 20, 3, 2);
    const d = augmentSample(sq, undefined, 20, sampleRng(0, 0, 1), DEFAULT_AUGMENT);
    assert.deepEqual([...d.image.data].sort((a, b) => a - b), [...sq.data].sort((a, b) => a - b));
    assert.deepEqual(vals(jitterRaster(img, 1, 1)), vals(img));
  });

  it('rejects bad inputs', () => {
    assert.throws(() => augmentSample(img, noise(10, 10, 1, 0), 8, new Rng(0)), /mask is 10x10 but image is 40x30/);
    assert.throws(() => augmentSample(img, undefined, 8, new Rng(0), { hflip: 2 }), /hflip probability/);
  });
});
