// Flip test-time augmentation of the evaluation graph, against the plain graph run on mirrored images.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../core/host.js';
import { Rng } from '../core/random.js';
import { input } from '../core/tensor.js';
import { makeConfig } from '../models/usfm/config.js';
import { initialise } from '../nn/init.js';
import { VarBuilder } from '../nn/var_builder.js';
import type { TaskSpec } from './evaluate.js';
import { evalFunction, taskForward } from './evaluate.js';

const S = 32;

/** Mirror the last axis of a float tensor on the host. */
function mirror(t: HostTensor): Float32Array {
  const w = t.shape[t.shape.length - 1]!;
  const src = t.data as Float32Array;
  const out = new Float32Array(src.length);
  for (let r = 0; r < src.length / w; r++) for (let k = 0; k < w; k++) out[r * w + k] = src[r * w + w - 1 - k]!;
  return out;
}

for (const task of [
  { task: 'cls', classes: 3, imgSize: S, segChannels: 16 },
  { task: 'seg', classes: 2, imgSize: S, segChannels: 16, head: 'upernet' },
] as TaskSpec[]) {
  test(`evalFunction --tta hflip (${task.task}) = mean of the image's and its mirror image's probabilities`, async () => {
    const cfg = { ...makeConfig('vit-t', { embedDim: 32, depth: 4, heads: 2, imgSize: [S, S], dropPath: 0 }), sharedRelPos: false };
    const vb = VarBuilder.declare();
    taskForward(task, cfg, vb, input('pixel_values', 'float32', ['B', 3, S, S]));
    const rng = new Rng(3);
    // Random (not zero) biases and tables too, so nothing in the model is mirror-symmetric by construction.
    const params = Object.fromEntries(vb.specs().map((s) => {
      const p = initialise(s.shape, s.init, rng);
      for (let i = 0; i < p.data.length; i++) p.data[i] = p.data[i]! + 0.05 * rng.normal();
      return [s.name, p];
    }));
    const x: HostTensor<'float32'> = { dtype: 'float32', shape: [2, 3, S, S], data: Float32Array.from({ length: 2 * 3 * S * S }, () => rng.normal()) };
    const plain = evalFunction(task, cfg);
    const tta = evalFunction(task, cfg, { tta: 'hflip' });
    const p = (await plain.run({ pixel_values: x, ...params })).probs!;
    const pm = (await plain.run({ pixel_values: { ...x, data: mirror(x) }, ...params })).probs!;
    const pt = (await tta.run({ pixel_values: x, ...params })).probs!;
    await plain.release();
    await tta.release();
    assert.deepEqual(pt.shape, p.shape);
    // A class vector is the same for a mirrored image; a segmentation map is mirrored back.
    const back = task.task === 'seg' ? mirror(pm) : (pm.data as Float32Array);
    const a = p.data as Float32Array;
    let worst = 0;
    let moved = 0;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs((pt.data as Float32Array)[i]! - (a[i]! + back[i]!) / 2));
      moved = Math.max(moved, Math.abs(a[i]! - back[i]!));
    }
    assert.ok(worst < 1e-5, `TTA differs from the mean by ${worst}`);
    // The two views disagree, so the check above tells TTA from the plain probabilities.
    assert.ok(moved > 1e-3, `the model is mirror-invariant here (${moved}); the test would not see a missing flip`);
  });
}
