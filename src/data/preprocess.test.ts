import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeImage } from './decode.js';
import { grayToRgb } from './image.js';
import type { RasterImage } from './image.js';
import { IMAGENET_MEAN, IMAGENET_STD, imageToTensor, loadImageBatch, loadImageTensor, stackBatch } from './preprocess.js';
import { fixtureManifest, fixtureNpy, fixturePath } from './testing/fixtures.js';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('preprocess', () => {
  it('exports the ImageNet constants', () => {
    assert.deepEqual(IMAGENET_MEAN, [0.485, 0.456, 0.406]);
    assert.deepEqual(IMAGENET_STD, [0.229, 0.224, 0.225]);
  });

  it('matches the PIL + torchvision reference tensor', async () => {
    const { tensor: ref } = fixtureManifest();
    const golden = fixtureNpy(ref.golden);
    const t = await loadImageTensor(fixturePath(ref.source), [ref.height, ref.width]);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.shape, [3, ref.height, ref.width]);
    assert.deepEqual(golden.shape, t.shape);
    assert.ok(maxAbsDiff(t.data, golden.data as Float32Array) <= 1e-6);
  });

  it('treats grayscale like its RGB replication', async () => {
    const img = await decodeImage(fixturePath('us2.png'));
    const a = imageToTensor(img, 32);
    const b = imageToTensor(grayToRgb(img), 32);
    assert.deepEqual(a.shape, [3, 32, 32]);
    assert.deepEqual(a.data, b.data);
  });

  it('normalises without resizing when already at size', () => {
    const img: RasterImage = { width: 2, height: 1, channels: 3, data: new Uint8Array([0, 128, 255, 255, 0, 10]) };
    const t = imageToTensor(img, [1, 2]);
    const expect = (v: number, c: number): number =>
      Math.fround(Math.fround(Math.fround(v / 255) - Math.fround(IMAGENET_MEAN[c]!)) / Math.fround(IMAGENET_STD[c]!));
    assert.deepEqual([...t.data], [expect(0, 0), expect(255, 0), expect(128, 1), expect(0, 1), expect(255, 2), expect(10, 2)]);
  });

  it('honours custom mean / std', () => {
    const img: RasterImage = { width: 1, height: 1, channels: 1, data: new Uint8Array([255]) };
    const t = imageToTensor(img, 1, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    assert.deepEqual([...t.data], [1, 1, 1]);
  });

  it('stacks a batch', async () => {
    const paths = [fixturePath('us1.png'), fixturePath('synth.png')];
    const batch = await loadImageBatch(paths, 16);
    assert.deepEqual(batch.shape, [2, 3, 16, 16]);
    const second = await loadImageTensor(paths[1]!, 16);
    assert.deepEqual(batch.data.subarray(3 * 256), second.data);
  });

  it('rejects bad input', async () => {
    const img: RasterImage = { width: 1, height: 1, channels: 4, data: new Uint8Array(4) };
    assert.throws(() => imageToTensor(img, 8), /expected a 1- or 3-channel image, got 4/);
    assert.throws(() => imageToTensor({ ...img, channels: 1, data: new Uint8Array(1) }, 0), /invalid size 0/);
    assert.throws(() => stackBatch([]), /empty batch/);
    const a = imageToTensor({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }, 2);
    const b = imageToTensor({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }, 3);
    assert.throws(() => stackBatch([a, b]), /item 1 has shape \[3,3,3\], expected \[3,2,2\]/);
    await assert.rejects(loadImageTensor(fixturePath('missing.png'), 8), /missing\.png: no such file/);
  });
});
