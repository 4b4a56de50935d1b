import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../../core/host.js';
import { Rng } from '../../core/random.js';
import { input } from '../../core/tensor.js';
import { initialise } from '../../nn/init.js';
import { crossEntropy, diceLoss } from '../../nn/losses/index.js';
import { VarBuilder } from '../../nn/var_builder.js';
import { add, mul } from '../../ops/index.js';
import { CompiledFn } from '../../runtime/compiled.js';
import { nodeBackend } from '../../runtime/node.js';
import { AdamW } from '../../train/adamw.js';
import { ParamSet } from '../../train/param_set.js';
import { TrainStep } from '../../train/step.js';
import { makeConfig } from './config.js';
import { defaultOutIndices, usfmUperNet } from './upernet.js';

const cfg = makeConfig('vit-t', { embedDim: 24, depth: 4, heads: 2, imgSize: [64, 64], dropPath: 0 });
const opts = { classes: 2, channels: 16, auxChannels: 8 };

function specs(): ReturnType<VarBuilder['specs']> {
  const vb = VarBuilder.declare();
  usfmUperNet(vb, input('pixel_values', 'float32', ['B', 3, 64, 64]), cfg, opts);
  return vb.specs();
}

/** Bright squares at random places on noise; the mask marks the square. */
function batch(n: number, seed: number): { x: HostTensor<'float32'>; y: HostTensor<'int64'> } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 3 * 64 * 64);
  const y = new BigInt64Array(n * 64 * 64);
  for (let i = 0; i < n; i++) {
    const r0 = 8 + rng.int(24);
    const c0 = 8 + rng.int(24);
    for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) {
      const inside = r >= r0 && r < r0 + 24 && c >= c0 && c < c0 + 24;
      if (inside) y[(i * 64 + r) * 64 + c] = 1n;
      for (let ch = 0; ch < 3; ch++) x[((i * 3 + ch) * 64 + r) * 64 + c] = (inside ? 1 : -1) + 0.5 * rng.normal();
    }
  }
  return { x: { dtype: 'float32', shape: [n, 3, 64, 64], data: x }, y: { dtype: 'int64', shape: [n, 64, 64], data: y } };
}

test('UPerNet: official-style names, pyramid taps, outputs at input resolution', () => {
  const names = specs().map((s) => s.name);
  for (const n of ['fpn1.0.weight', 'fpn1.1.running_var', 'fpn1.3.bias', 'fpn2.0.weight', 'decode_head.psp_modules.3.1.conv.weight',
    'decode_head.bottleneck.bn.weight', 'decode_head.lateral_convs.2.conv.weight', 'decode_head.fpn_convs.0.bn.running_mean',
    'decode_head.fpn_bottleneck.conv.weight', 'decode_head.conv_seg.bias', 'auxiliary_head.convs.0.conv.weight', 'auxiliary_head.conv_seg.weight']) {
    assert.ok(names.includes(n), n);
  }
  assert.equal(names.includes('norm.weight'), false);
  assert.deepEqual(defaultOutIndices(12), [3, 5, 7, 11]);
  assert.deepEqual(defaultOutIndices(4), [0, 1, 2, 3]);
  const vb = VarBuilder.declare();
  const out = usfmUperNet(vb, input('pixel_values', 'float32', ['B', 3, 64, 64]), cfg, opts);
  assert.deepEqual(out.logits.shape, ['B', 2, 64, 64]);
  assert.deepEqual(out.aux.shape, ['B', 2, 64, 64]);
});

test('UPerNet trains: loss falls on held-out squares, batch-norm running stats are updated, eval mode runs', async () => {
  const sp = specs();
  const rng = new Rng(3);
  const ps = new ParamSet(sp, new Map(sp.map((s) => [s.name, initialise(s.shape, s.init, rng)])));
  const step = new TrainStep(nodeBackend, ps, (vb, b) => {
    const { logits, aux } = usfmUperNet(vb, b.pixel_values!, cfg, opts);
    const loss = add(add(crossEntropy(logits, b.labels!), diceLoss(logits, b.labels!, { activation: 'softmax' })), mul(crossEntropy(aux, b.labels!), 0.4));
    return { loss };
  }, { frozen: (n) => n === 'mask_token' });
  const opt = new AdamW(ps, { weightDecay: 0.01 });
  const losses: number[] = [];
  for (let i = 0; i < 25; i++) {
    const { x, y } = batch(4, 10 + i);
    const r = await step.run({ pixel_values: x, labels: y });
    losses.push(r.loss);
    opt.update(r.grads, 2e-3, r.gradNorm);
  }
  await step.release();
  const first = (losses[0]! + losses[1]! + losses[2]!) / 3;
  const last = (losses[22]! + losses[23]! + losses[24]!) / 3;
  assert.ok(last < 0.6 * first, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  const rm = ps.views().get('decode_head.fpn_bottleneck.bn.running_mean')!.data;
  assert.ok(rm.some((v) => v !== 0), 'running_mean moved from its init');
  const run = new CompiledFn(nodeBackend, (ins) => ({ logits: usfmUperNet(VarBuilder.bind(ins), ins.pixel_values!, cfg, opts).logits }));
  const { x, y } = batch(2, 99);
  const r = await run.run({ pixel_values: x, ...Object.fromEntries(ps.views()) });
  const l = r.logits!.data as Float32Array;
  let agree = 0;
  for (let i = 0; i < 2 * 64 * 64; i++) {
    const n = Math.floor(i / 4096);
    const p = i % 4096;
    const fg = l[(n * 2 + 1) * 4096 + p]! > l[(n * 2) * 4096 + p]!;
    if (fg === (y.data[i] === 1n)) agree++;
  }
  assert.ok(agree / 8192 > 0.8, `eval-mode pixel accuracy ${(agree / 8192).toFixed(3)}`);
  await run.release();
});
