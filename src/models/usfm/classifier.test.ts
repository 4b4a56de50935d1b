// The classifier end to end: checkpoint initialisation, and a short training run that must learn.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HostTensor } from '../../core/host.js';
import { Rng } from '../../core/random.js';
import { readPth } from '../../checkpoint/pth.js';
import { crossEntropy } from '../../nn/losses/index.js';
import { nodeBackend } from '../../runtime/node.js';
import { AdamW } from '../../train/adamw.js';
import { applyLayerDecay, applyNoDecay } from '../../train/param_groups.js';
import { ParamSet } from '../../train/param_set.js';
import { cosineWithWarmup } from '../../train/schedule.js';
import { TrainStep } from '../../train/step.js';
import { ClassifierRunner, classifierSpecs, initClassifier, usfmClassifier } from './classifier.js';
import { makeConfig } from './config.js';

const dir = fileURLToPath(new URL('../../../fixtures/torch/', import.meta.url));

test('initClassifier: backbone strictly from the checkpoint, shared table copied per block, norm dropped, new fc_norm/head', async () => {
  const cfg = makeConfig('vit-t', { embedDim: 48, depth: 2, heads: 3, imgSize: [32, 32] });
  const { params, notes } = await initClassifier(`${dir}small_shared.pth`, cfg, 4, 0);
  const raw = await readPth(`${dir}small_shared.pth`);
  const table = raw.get('model.encoder.rel_pos_bias.relative_position_bias_table')!;
  assert.deepEqual(params.get('blocks.1.attn.relative_position_bias_table')!.data, table.data);
  assert.deepEqual(params.get('blocks.0.mlp.fc2.weight')!.data, raw.get('model.encoder.blocks.0.mlp.fc2.weight')!.data);
  assert.equal(params.has('norm.weight'), false);
  assert.deepEqual(params.get('head.weight')!.shape, [4, 48]);
  assert.deepEqual(Array.from(params.get('fc_norm.weight')!.data), new Array(48).fill(1));
  assert.ok(Math.max(...Array.from(params.get('head.weight')!.data, Math.abs)) < 0.001 * 0.05);
  assert.ok(notes.some((n) => /dropped the pretrained final norm/.test(n)));
  await assert.rejects(initClassifier(`${dir}small_shared.pth`, makeConfig('vit-t', { imgSize: [32, 32] }), 4, 0), /checkpoint is 48\/2\/3/);
});

/** Two classes of noisy images whose brightness differs by less than the pixel noise. */
function samples(n: number, seed: number): { x: HostTensor<'float32'>; y: HostTensor<'int64'> } {
  const rng = new Rng(seed);
  const s = 32;
  const x = new Float32Array(n * 3 * s * s);
  const y = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const cls = rng.int(2);
    y[i] = BigInt(cls);
    for (let k = 0; k < 3 * s * s; k++) x[i * 3 * s * s + k] = (cls ? 0.3 : -0.3) + rng.normal();
  }
  return { x: { dtype: 'float32', shape: [n, 3, s, s], data: x }, y: { dtype: 'int64', shape: [n], data: y } };
}

test('a randomly initialised classifier learns a two-class task with the fine-tuning recipe', async () => {
  const cfg = makeConfig('vit-t', { embedDim: 32, depth: 2, heads: 2, imgSize: [32, 32], dropPath: 0 });
  const { params, config } = await initClassifier(null, cfg, 2, 1);
  const ps = new ParamSet(classifierSpecs(config, 2), params);
  applyLayerDecay(ps, config.depth, 0.75);
  applyNoDecay(ps);
  const step = new TrainStep(nodeBackend, ps, (vb, b) => ({
    loss: crossEntropy(usfmClassifier(vb, b.pixel_values!, config, 2), b.labels!, { labelSmoothing: 0.1 }),
  }), { frozen: (n) => n === 'mask_token' });
  const opt = new AdamW(ps, { weightDecay: 0.05, clipNorm: 5 });
  const steps = 40;
  const lr = cosineWithWarmup({ baseLr: 2e-3, minLr: 1e-5, warmupLr: 1e-4, warmupSteps: 5, totalSteps: steps });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { x, y } = samples(8, 100 + i);
    const r = await step.run({ pixel_values: x, labels: y });
    losses.push(r.loss);
    opt.update(r.grads, lr(i), r.gradNorm);
  }
  await step.release();
  const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
  assert.ok(last < first * 0.6, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  const test = samples(32, 999);
  const runner = new ClassifierRunner(config, 2, ps.snapshot());
  const probs = (await runner.probs(test.x)).data;
  let correct = 0;
  for (let i = 0; i < 32; i++) if ((probs[i * 2 + 1]! > probs[i * 2]! ? 1n : 0n) === test.y.data[i]) correct++;
  assert.ok(correct >= 29, `held-out accuracy ${correct}/32`);
  await runner.release();
});
