// The pretraining objective against PyTorch (fixtures/torch/pretrain/gen_mim.py, float64).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HostTensor } from '../core/host.js';
import { readSafetensors } from '../checkpoint/safetensors.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../data/preprocess.js';
import { loadUsfm } from '../models/usfm/model.js';
import { nodeBackend } from '../runtime/node.js';
import { maxAbsDiff } from '../testing/gradcheck.js';
import { ParamSet } from '../train/param_set.js';
import { TrainStep } from '../train/step.js';
import { MIM_INPUTS } from './batch.js';
import { bandStopImage } from './mask_image.js';
import { ringGeometry, ringStopMask } from './masks.js';
import { mimLoss, mimSpecs } from './objective.js';
import { DUAL_BRANCHES, objectiveOptions } from './options.js';

const dir = fileURLToPath(new URL('../../fixtures/torch/', import.meta.url));
const golden = readSafetensors(`${dir}pretrain/mim.golden.safetensors`);
const f32 = (t: HostTensor): HostTensor<'float32'> => t as HostTensor<'float32'>;

test('ring geometry and band-stop input masking match torch.fft (24×20, official ring schedule)', async () => {
  const g = await golden;
  const r = JSON.parse(g.metadata.rings!) as { base_bw: number; increase_factor: number; max_increase: number; center_protect: number };
  const geo = ringGeometry(24, 20, objectiveOptions({ baseBw: r.base_bw, increaseFactor: r.increase_factor, maxIncrease: r.max_increase, centerProtect: r.center_protect }));
  assert.deepEqual(geo.edges, JSON.parse(g.metadata.freq_edges!));
  const removed = JSON.parse(g.metadata.freq_removed!) as number[][];
  const img = f32(g.tensors.get('freq.image')!);
  const stops = g.tensors.get('freq.stop')!.data;
  const want = g.tensors.get('freq.out')!;
  const plane = 24 * 20;
  const got = img.data.slice();
  removed.forEach((rings, i) => {
    const sel = new Uint8Array(geo.edges.length - 1);
    for (const k of rings) sel[k] = 1;
    const stop = ringStopMask(geo, sel);
    assert.deepEqual(Array.from(stop), Array.from(stops.subarray(i * plane, (i + 1) * plane), Number), `stop mask ${i}`);
    bandStopImage(got.subarray(i * 3 * plane, (i + 1) * 3 * plane), 3, 24, 20, stop, IMAGENET_MEAN, IMAGENET_STD);
  });
  const err = maxAbsDiff({ ...img, data: got }, want);
  assert.ok(err < 2e-5, `band-stop differs from torch by ${err}`);
});

for (const fill of ['mean', 'token'] as const) test(`objective (${fill === 'token' ? 'mask_token' : 'pixel'} mode) on small_shared.pth: loss, L_spa, L_freq, reconstruction${fill === 'token' ? ' and every gradient' : ''} match PyTorch`, async () => {
  const g = await golden;
  const tag = fill === 'token' ? 'token' : 'pixel';
  const enc = await loadUsfm(`${dir}small_shared.pth`, { imgSize: 32 });
  const cfg = { ...enc.config, dropPath: 0 };
  const o = objectiveOptions({ fill, maskUnit: 16, freqWeight: Number(g.metadata.lambda), branch: DUAL_BRANCHES });
  const values = new Map(enc.params);
  for (const k of ['decoder.0.weight', 'decoder.0.bias']) values.set(k, f32(g.tensors.get(k)!));
  const ps = new ParamSet(mimSpecs(cfg, o), values);
  const step = new TrainStep(nodeBackend, ps, (vb, b) => {
    const r = mimLoss(vb, b, cfg, o);
    return { loss: r.loss, extra: { l_spa: r.lSpa, l_freq: r.lFreq!, reconstruction: r.reconstruction } };
  });
  const names = [MIM_INPUTS.pixels, MIM_INPUTS.target, MIM_INPUTS.pixelMask, MIM_INPUTS.freqWeight, ...(fill === 'token' ? [MIM_INPUTS.tokenMask] : [])];
  const r = await step.run(Object.fromEntries(names.map((k) => [k, g.tensors.get(k)!])));
  await step.release();
  const near = (got: number, key: string): void => {
    const want = Number(g.tensors.get(`${tag}.${key}`)!.data[0]);
    assert.ok(Math.abs(got - want) < 2e-5 * Math.max(1, Math.abs(want)), `${tag}.${key}: ${got} vs torch ${want}`);
  };
  near(r.loss, 'loss');
  near(Number(r.extra.l_spa!.data[0]), 'l_spa');
  near(Number(r.extra.l_freq!.data[0]), 'l_freq');
  const rec = maxAbsDiff(r.extra.reconstruction!, g.tensors.get(`${tag}.reconstruction`)!);
  assert.ok(rec < 1e-4, `reconstruction differs by ${rec}`);
  if (fill !== 'token') return;
  let checked = 0;
  for (const [name, grad] of r.grads) {
    const want = g.tensors.get(`token.grad.${name}`);
    assert.ok(want, `torch has no gradient for ${name}`);
    let scale = 0;
    for (const v of want.data) scale = Math.max(scale, Math.abs(Number(v)));
    const err = maxAbsDiff({ dtype: 'float32', shape: want.shape, data: grad }, want);
    assert.ok(err <= 1e-5 * Math.max(scale, 1e-3), `grad ${name}: max error ${err} (max |grad| ${scale})`);
    checked++;
  }
  assert.equal(checked, ps.slots.length);
  assert.ok(r.grads.has('mask_token') && r.grads.get('mask_token')!.some((v) => v !== 0), 'mask_token is trained in token mode');
});
