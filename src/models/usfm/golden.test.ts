// The encoder against PyTorch goldens (fixtures/torch/gen_usfm.py): forward outputs and every gradient.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HostTensor } from '../../core/host.js';
import { readSafetensors } from '../../checkpoint/safetensors.js';
import { mul, reduceSum } from '../../ops/index.js';
import { nodeBackend } from '../../runtime/node.js';
import { ParamSet } from '../../train/param_set.js';
import { TrainStep } from '../../train/step.js';
import { usfmEncoder } from './encoder.js';
import { encoderSpecs, loadUsfm } from './model.js';
import { maxAbsDiff } from '../../testing/gradcheck.js';

const dir = fileURLToPath(new URL('../../../fixtures/torch/', import.meta.url));

for (const name of ['small_shared', 'small_perblock', 'small_fp16', 'small_bf16']) {
  test(`${name}.pth: tokens and pooled match PyTorch (≤ 1e-4)`, async () => {
    const golden = await readSafetensors(`${dir}${name}.golden.safetensors`);
    const img = JSON.parse(golden.metadata.img_size!) as [number, number];
    const enc = await loadUsfm(`${dir}${name}.pth`, { imgSize: img });
    const out = await enc.embed(golden.tensors.get('pixel_values') as HostTensor<'float32'>);
    assert.ok(maxAbsDiff(out.tokens, golden.tensors.get('tokens')!) <= 1e-4);
    assert.ok(maxAbsDiff(out.pooled, golden.tensors.get('pooled')!) <= 1e-4);
    await enc.release();
  });
}

for (const [name, img] of [['small_shared', [32, 32]], ['small_perblock', [48, 32]]] as const) test(`${name}: the training graph gives PyTorch's gradient for every parameter`, async () => {
  const golden = await readSafetensors(`${dir}${name}.golden.safetensors`);
  const enc = await loadUsfm(`${dir}${name}.pth`, { imgSize: img });
  // A shared-table checkpoint loads as a shared-table model: its gradient sums over all blocks.
  const cfg = enc.config;
  assert.equal(cfg.sharedRelPos, name === 'small_shared');
  const specs = encoderSpecs(cfg);
  const ps = new ParamSet(specs, enc.params);
  const step = new TrainStep(nodeBackend, ps, (vb, b) => {
    const { tokens } = usfmEncoder(vb, b.pixel_values!, cfg);
    return { loss: reduceSum(mul(tokens, b.cotangent!)) };
  });
  const r = await step.run({ pixel_values: golden.tensors.get('pixel_values')!, cotangent: golden.tensors.get('cotangent')! });
  let checked = 0;
  for (const s of specs) {
    const want = golden.tensors.get(`grad.${s.name}`);
    const got = r.grads.get(s.name);
    if (s.name === 'mask_token') {
      assert.ok(got!.every((v) => v === 0));
      continue;
    }
    assert.ok(want && got, `gradient for ${s.name}`);
    let scale = 0;
    want.data.forEach((v) => { scale = Math.max(scale, Math.abs(Number(v))); });
    const err = maxAbsDiff({ ...want, data: got }, want);
    assert.ok(err <= 1e-4 * Math.max(1, scale), `${s.name}: max |Δ| ${err} (scale ${scale})`);
    checked++;
  }
  assert.equal(checked, specs.length - 1);
  await step.release();
});

test('the in-graph global gradient norm equals the norm of the returned gradients', async () => {
  const golden = await readSafetensors(`${dir}small_perblock.golden.safetensors`);
  const enc = await loadUsfm(`${dir}small_perblock.pth`, { imgSize: [48, 32] });
  const { AdamW } = await import('../../train/adamw.js');
  const step = new TrainStep(nodeBackend, new ParamSet(encoderSpecs(enc.config), enc.params), (vb, b) => ({
    loss: reduceSum(mul(usfmEncoder(vb, b.pixel_values!, enc.config).tokens, b.cotangent!)),
  }));
  const r = await step.run({ pixel_values: golden.tensors.get('pixel_values')!, cotangent: golden.tensors.get('cotangent')! });
  const js = AdamW.gradNorm(r.grads);
  assert.ok(js > 1 && Math.abs(r.gradNorm - js) <= 1e-5 * js, `${r.gradNorm} vs ${js}`);
  await step.release();
});
