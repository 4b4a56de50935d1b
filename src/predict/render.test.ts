import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argmaxLabels, classColour, maskRaster, overlay, resizeProbs } from './render.js';

describe('resizeProbs (bilinear, half-pixel centres)', () => {
  it('is the identity at the same size and keeps constants', () => {
    const src = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 0.1);
    assert.deepEqual(resizeProbs(src, 2, 3, 4, 3, 4), src);
    assert.ok(resizeProbs(new Float32Array(2 * 5 * 5).fill(0.25), 2, 5, 5, 13, 7).every((v) => Math.abs(v - 0.25) < 1e-7));
  });

  it('reproduces a linear ramp exactly inside the image (as torch interpolate, align_corners=False)', () => {
    // src(x) = x on a 4-wide row; output pixel o of 8 samples src at (o + 0.5)/2 − 0.5, clamped to [0, 3].
    const out = resizeProbs(Float32Array.from([0, 1, 2, 3]), 1, 1, 4, 1, 8);
    const want = [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3];
    out.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `${i}: ${v} vs ${want[i]}`));
    // Downsampling by 2 averages neighbours: sample points fall half-way between source pixels.
    assert.deepEqual(Array.from(resizeProbs(Float32Array.from([0, 2, 4, 6]), 1, 1, 4, 1, 2)), [1, 5]);
  });
});

describe('labels, masks, overlays', () => {
  it('takes the per-pixel argmax with ties to the lower class', () => {
    const p = Float32Array.from([0.5, 0.2, 0.1, /* class 1 */ 0.5, 0.8, 0.3, /* class 2 */ 0, 0, 0.6]);
    assert.deepEqual(Array.from(argmaxLabels(p, 3, 3)), [0, 1, 2]);
  });

  it('writes 0/255 for binary models and class ids otherwise', () => {
    const l = Uint8Array.from([0, 1, 1, 0]);
    assert.deepEqual(Array.from(maskRaster(l, 2, 2, 2).data), [0, 255, 255, 0]);
    assert.deepEqual(Array.from(maskRaster(Uint8Array.from([0, 2, 1, 0]), 2, 2, 3).data), [0, 2, 1, 0]);
  });

  it('tints the inside, draws the boundary in full colour and leaves the background alone', () => {
    const w = 5;
    const img = { width: w, height: 5, channels: 1, data: new Uint8Array(25).fill(100) };
    const labels = new Uint8Array(25);
    for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) labels[y * w + x] = 1;
    const o = overlay(img, labels, 0.5);
    const px = (x: number, y: number): number[] => Array.from(o.data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3));
    assert.deepEqual(px(0, 0), [100, 100, 100]);
    assert.deepEqual(px(1, 1), [...classColour(1)]);
    assert.deepEqual(px(2, 2), classColour(1).map((c) => Math.round(100 * 0.5 + c * 0.5)));
    assert.throws(() => overlay(img, new Uint8Array(3)), /3 labels for a 5×5 image/);
  });
});
