import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImageBuffer } from '../decode.js';
import type { RasterImage } from '../image.js';
import { maskToLabels } from './masks.js';

const gray = (width: number, height: number, values: readonly number[]): RasterImage => ({ width, height, channels: 1, data: Uint8Array.from(values) });
const rgb = (width: number, height: number, values: readonly number[]): RasterImage => ({ width, height, channels: 3, data: Uint8Array.from(values) });

describe('maskToLabels binary', () => {
  it('maps 0/255 to 0/1 without warnings', () => {
    const r = maskToLabels(gray(3, 2, [0, 255, 255, 0, 0, 255]), 'binary');
    assert.deepEqual([...r.labels], [0, 1, 1, 0, 0, 1]);
    assert.deepEqual([r.width, r.height, r.warnings.length], [3, 2, 0]);
  });

  it('keeps 0/1 masks, and all-background / all-foreground ones', () => {
    assert.deepEqual([...maskToLabels(gray(2, 2, [1, 0, 0, 1]), 'binary').labels], [1, 0, 0, 1]);
    assert.deepEqual([...maskToLabels(gray(2, 1, [0, 0]), 'binary').labels], [0, 0]);
    assert.deepEqual([...maskToLabels(gray(2, 1, [255, 255]), 'binary').labels], [1, 1]);
  });

  it('does not alias the input', () => {
    const m = gray(2, 1, [0, 1]);
    const r = maskToLabels(m, 'binary');
    r.labels[0] = 9;
    assert.equal(m.data[0], 0);
  });

  it('thresholds noisy masks at 128 with a warning', () => {
    const r = maskToLabels(gray(4, 2, [0, 3, 20, 230, 250, 255, 255, 0]), 'binary', { name: 'm.jpg' });
    assert.deepEqual([...r.labels], [0, 0, 0, 1, 1, 1, 1, 0]);
    assert.deepEqual(r.warnings, ['m.jpg: 4 pixel(s) not 0/255 (50.00%), thresholded at 128']);
  });

  it('splits exactly between 127 and 128, tolerating up to 10% mid-gray pixels', () => {
    const values = [...Array<number>(9).fill(0), ...Array<number>(9).fill(255), 127, 128];
    const r = maskToLabels(gray(20, 1, values), 'binary');
    assert.deepEqual([...r.labels.subarray(17)], [1, 0, 1]);
    assert.equal(r.warnings.length, 1);
  });

  it('treats a mix of 0, 1 and 255 as a noisy 0/255 mask', () => {
    const r = maskToLabels(gray(4, 1, [0, 1, 255, 255]), 'binary');
    assert.deepEqual([...r.labels], [0, 0, 1, 1]);
    assert.equal(r.warnings.length, 1);
  });

  it('thresholds a real JPEG-compressed mask', async () => {
    const w = 64;
    const h = 48;
    const src = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) src[y * w + x] = (x - 32) ** 2 + (y - 24) ** 2 < 15 ** 2 ? 255 : 0;
    const jpg = await sharp(Buffer.from(src), { raw: { width: w, height: h, channels: 1 } })
      .jpeg({ quality: 75 })
      .toBuffer();
    const r = maskToLabels(await decodeImageBuffer(jpg, 'disc.jpg'), 'binary', { name: 'disc.jpg' });
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /^disc\.jpg: \d+ pixel\(s\) not 0\/255/);
    let wrong = 0;
    for (let i = 0; i < src.length; i++) if (r.labels[i] !== src[i]! / 255) wrong++;
    assert.ok(wrong < src.length * 0.01, `${wrong} pixels flipped`);
  });

  it('rejects an index-like mask (values below 128, not just 0/1)', () => {
    assert.throws(() => maskToLabels(gray(3, 1, [0, 1, 2]), 'binary', { name: 'idx.png' }), {
      message: "idx.png: not a binary mask, values 0..2 (not just 0/1 or 0/255); use mode 'index' for class ids",
    });
  });

  it('rejects a mask with many mid-gray pixels', () => {
    assert.throws(() => maskToLabels(gray(4, 1, [0, 255, 100, 200]), 'binary', { name: 'photo.png' }), {
      message: 'photo.png: not a binary mask, 50.0% of pixels lie between 32 and 223',
    });
  });

  it('reads RGB masks by their brightest channel', () => {
    const r = maskToLabels(rgb(3, 1, [0, 0, 0, 255, 255, 255, 255, 0, 0]), 'binary');
    assert.deepEqual([...r.labels], [0, 1, 1]);
    assert.deepEqual(r.warnings, []);
  });
});

describe('maskToLabels index', () => {
  it('uses values as class ids', () => {
    const r = maskToLabels(gray(2, 2, [0, 3, 1, 2]), 'index');
    assert.deepEqual([...r.labels], [0, 3, 1, 2]);
    assert.deepEqual(r.warnings, []);
  });

  it('accepts RGB masks with equal channels', () => {
    const r = maskToLabels(rgb(2, 1, [2, 2, 2, 0, 0, 0]), 'index');
    assert.deepEqual([...r.labels], [2, 0]);
  });

  it('rejects RGB masks with unequal channels, naming the file and pixel', () => {
    assert.throws(() => maskToLabels(rgb(2, 2, [0, 0, 0, 1, 1, 1, 1, 1, 1, 5, 0, 0]), 'index', { name: 'c.png' }), {
      message: 'c.png: RGB index mask needs equal channels, pixel (1, 1) is (5, 0, 0)',
    });
  });

  it('checks ids against numClasses', () => {
    assert.deepEqual([...maskToLabels(gray(2, 1, [0, 2]), 'index', { numClasses: 3 }).labels], [0, 2]);
    assert.throws(() => maskToLabels(gray(3, 1, [0, 1, 255]), 'index', { name: 'm.png', numClasses: 2 }), {
      message: 'm.png: class id 255 at pixel (2, 0) is not below numClasses 2',
    });
    assert.throws(() => maskToLabels(gray(1, 1, [0]), 'index', { numClasses: 0 }), /numClasses must be an integer in 1\.\.256/);
  });
});

describe('maskToLabels input checks', () => {
  it('rejects bad rasters, channel counts and modes', () => {
    assert.throws(() => maskToLabels(gray(3, 2, [0, 0]), 'binary', { name: 'short.png' }), /^Error: short\.png: 3x2x1 needs 6 bytes, got 2$/);
    assert.throws(() => maskToLabels({ width: 1, height: 1, channels: 2, data: Uint8Array.from([0, 0]) }, 'index', { name: 'la.png' }), {
      message: 'la.png: mask must have 1 or 3 channels, got 2',
    });
    assert.throws(() => maskToLabels(gray(1, 1, [0]), 'multi' as 'index'), /mask mode must be 'binary' or 'index', got 'multi'/);
  });
});
