import assert from 'node:assert/strict';
import { test } from 'node:test';
import { denormalise, paintMasked, pasteVisible } from './pretrain_preview.js';

test('paintMasked greys exactly the masked pixels of every channel (token-fill preview), leaving the input alone', () => {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const [c, h, w] = [3, 2, 3];
  const plane = h * w;
  const pixels = Float32Array.from({ length: 2 * c * plane }, (_, i) => (i % 7) / 7 - 0.5);
  const mask = Float32Array.from({ length: 2 * plane }, (_, i) => (i % 4 === 1 ? 1 : 0));
  const before = pixels.slice();
  const out = paintMasked(pixels, mask, c, plane, mean, std);
  assert.deepEqual(pixels, before);
  for (let i = 0; i < 2; i++) {
    const rgb = denormalise(out.subarray(i * c * plane, (i + 1) * c * plane), h, w, mean, std);
    for (let p = 0; p < plane; p++) {
      for (let ch = 0; ch < c; ch++) {
        const k = (i * c + ch) * plane + p;
        if (mask[i * plane + p]) assert.ok(Math.abs(rgb.data[p * 3 + ch]! - 127.5) <= 1, `image ${i} pixel ${p} channel ${ch}`);
        else assert.equal(out[k], pixels[k]);
      }
    }
  }
});

test('pasteVisible shows the prediction in masked pixels and the original elsewhere; a frequency-only image keeps its prediction', () => {
  const [c, plane] = [2, 4];
  const rec = Float32Array.from({ length: 2 * c * plane }, (_, i) => 100 + i);
  const target = Float32Array.from({ length: 2 * c * plane }, (_, i) => -1 - i);
  const mask = Float32Array.from([0, 1, 1, 0, 0, 0, 0, 0]); // image 1 has no spatial mask
  const out = pasteVisible(rec, target, mask, c, plane);
  assert.deepEqual(Array.from(out), [-1, 101, 102, -4, -5, 105, 106, -8, ...Array.from(rec.subarray(8))]);
});
