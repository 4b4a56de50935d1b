// Training smoke test: a few AdamW steps of the dual MIM objective on a tiny model lower the loss.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../core/host.js';
import { Rng } from '../core/random.js';
import { initialise } from '../nn/init.js';
import { makeConfig } from '../models/usfm/config.js';
import { nodeBackend } from '../runtime/node.js';
import { AdamW } from '../train/adamw.js';
import { applyNoDecay } from '../train/param_groups.js';
import { ParamSet } from '../train/param_set.js';
import { TrainStep } from '../train/step.js';
import { MimMasker } from './batch.js';
import { mimFrozen, mimLossFn, mimSpecs } from './objective.js';
import { DUAL_BRANCHES, objectiveOptions } from './options.js';

/** Four 32×32 grey "scans": a bright blob and stripes of different frequencies, ImageNet-normalised. */
function scans(): HostTensor<'float32'> {
  const s = 32;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const data = new Float32Array(4 * 3 * s * s);
  for (let i = 0; i < 4; i++) {
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const blob = Math.exp(-((x - 10 - 4 * i) ** 2 + (y - 16) ** 2) / 40);
        const v = 0.2 + 0.5 * blob + 0.15 * Math.sin(((i + 1) * Math.PI * y) / 8);
        for (let c = 0; c < 3; c++) data[((i * 3 + c) * s + y) * s + x] = (v - mean[c]!) / std[c]!;
      }
    }
  }
  return { dtype: 'float32', shape: [4, 3, s, s], data };
}

for (const fill of ['noise', 'token'] as const) test(`a tiny encoder + SimMIM decoder learns the dual MIM objective (${fill} fill)`, async () => {
  const cfg = makeConfig('vit-t', { embedDim: 32, depth: 2, heads: 2, imgSize: [32, 32], dropPath: 0, sharedRelPos: true });
  const o = objectiveOptions({ fill, maskUnit: 16, maskRatio: 0.5, baseBw: 3, centerProtect: 1.5, increaseFactor: 0.5, maxIncrease: 4, branch: DUAL_BRANCHES });
  const specs = mimSpecs(cfg, o);
  const rng = new Rng(1);
  const ps = new ParamSet(specs, new Map(specs.map((s) => [s.name, initialise(s.shape, s.init, rng)])));
  applyNoDecay(ps);
  const step = new TrainStep(nodeBackend, ps, mimLossFn(cfg, o), { frozen: mimFrozen(o) });
  assert.equal(step.trainable.some((s) => s.name === 'mask_token'), fill === 'token');
  const opt = new AdamW(ps, { weightDecay: 0.05, clipNorm: 5 });
  // One fixed masked batch (every branch present), so the loss is comparable from step to step.
  const batch = new MimMasker(cfg, o, 3).prepare(scans());
  assert.equal(new Set(batch.masks.map((m) => m.branch)).size, 3);
  const hist: { loss: number; spa: number; freq: number }[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await step.run(batch.feeds);
    assert.ok(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm));
    hist.push({ loss: r.loss, spa: Number(r.extra.l_spa!.data[0]), freq: Number(r.extra.l_freq!.data[0]) });
    opt.update(r.grads, 2e-3, r.gradNorm);
  }
  await step.release();
  const [first, last] = [hist[0]!, hist[hist.length - 1]!];
  assert.ok(last.loss < 0.6 * first.loss, `loss ${first.loss.toFixed(3)} → ${last.loss.toFixed(3)}`);
  assert.ok(last.spa < first.spa && last.freq < first.freq, `L_spa ${first.spa.toFixed(3)} → ${last.spa.toFixed(3)}, L_freq ${first.freq.toFixed(3)} → ${last.freq.toFixed(3)}`);
});
