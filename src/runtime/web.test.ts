// The same emitted graphs run under onnxruntime-web (WASM) in Node: inference and a training step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HostTensor } from '../core/host.js';
import { readSafetensors } from '../checkpoint/safetensors.js';
import { UsfmEncoder, loadUsfm } from '../models/usfm/model.js';
import { usfmEncoder } from '../models/usfm/encoder.js';
import { encoderSpecs } from '../models/usfm/model.js';
import { mul, reduceSum } from '../ops/index.js';
import { ParamSet } from '../train/param_set.js';
import { TrainStep } from '../train/step.js';
import { webBackend } from './web.js';
import { maxAbsDiff } from '../testing/gradcheck.js';

const dir = fileURLToPath(new URL('../../fixtures/torch/', import.meta.url));

test('onnxruntime-web runs the encoder graph and matches PyTorch', async () => {
  const golden = await readSafetensors(`${dir}small_perblock.golden.safetensors`);
  const loaded = await loadUsfm(`${dir}small_perblock.pth`, { imgSize: [48, 32] });
  const enc = new UsfmEncoder(loaded.config, loaded.params, [], { backend: await webBackend() });
  const out = await enc.embed(golden.tensors.get('pixel_values') as HostTensor<'float32'>);
  assert.ok(maxAbsDiff(out.tokens, golden.tensors.get('tokens')!) <= 1e-4);
  await enc.release();
});

test('onnxruntime-web runs the training graph and gives PyTorch\'s gradients', async () => {
  const golden = await readSafetensors(`${dir}small_perblock.golden.safetensors`);
  const enc = await loadUsfm(`${dir}small_perblock.pth`, { imgSize: [48, 32] });
  const specs = encoderSpecs(enc.config);
  const step = new TrainStep(await webBackend(), new ParamSet(specs, enc.params), (vb, b) => ({
    loss: reduceSum(mul(usfmEncoder(vb, b.pixel_values!, enc.config).tokens, b.cotangent!)),
  }));
  const r = await step.run({ pixel_values: golden.tensors.get('pixel_values')!, cotangent: golden.tensors.get('cotangent')! });
  for (const name of ['patch_embed.proj.weight', 'blocks.1.attn.relative_position_bias_table', 'blocks.0.attn.q_bias', 'norm.weight']) {
    const want = golden.tensors.get(`grad.${name}`)!;
    assert.ok(maxAbsDiff({ ...want, data: r.grads.get(name)! }, want) <= 1e-3, name);
  }
  await step.release();
});
