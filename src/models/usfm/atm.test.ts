// The SegViT ATM head and loss against PyTorch goldens (fixtures/torch/gen_atm.py), plus shapes, names
// and a finite-difference check of the loss.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../checkpoint/safetensors.js';
import type { HostTensor } from '../../core/host.js';
import { Rng } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import { input } from '../../core/tensor.js';
import { initialise } from '../../nn/init.js';
import { VarBuilder } from '../../nn/var_builder.js';
import { grad } from '../../ops/index.js';
import { CompiledFn } from '../../runtime/compiled.js';
import { nodeBackend } from '../../runtime/node.js';
import { gradcheck, ints, randn } from '../../testing/gradcheck.js';
import { AdamW } from '../../train/adamw.js';
import { ParamSet } from '../../train/param_set.js';
import { TrainStep } from '../../train/step.js';
import type { AtmHeadOptions } from './atm.js';
import { atmHead, defaultAtmOutIndices, usfmAtm } from './atm.js';
import { atmLoss, atmLossTerms } from './atm_loss.js';
import { makeConfig } from './config.js';

const golden = fileURLToPath(new URL('../../../fixtures/torch/atm/atm.golden.safetensors', import.meta.url));
const cfg = makeConfig('vit-t', { embedDim: 24, depth: 4, heads: 2, imgSize: [64, 64], dropPath: 0 });
const opts = { classes: 2, layers: 2 };

/** max |got − want| ≤ tol · max(1, max |want|). */
function close(got: HostTensor, want: HostTensor, what: string, tol = 1e-4): number {
  assert.deepEqual(got.shape, want.shape, what);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.data.length; i++) {
    scale = Math.max(scale, Math.abs(Number(want.data[i])));
    err = Math.max(err, Math.abs(Number(got.data[i]) - Number(want.data[i])));
  }
  const rel = err / Math.max(1, scale);
  assert.ok(rel <= tol, `${what}: max |Δ| ${err} (scale ${scale})`);
  return rel;
}

test('ATM: official-style names and shapes, taps scaled to the depth, outputs at input resolution', () => {
  assert.deepEqual(defaultAtmOutIndices(12), [5, 7, 11]);
  assert.deepEqual(defaultAtmOutIndices(4), [1, 2, 3]);
  const vb = VarBuilder.declare();
  const out = usfmAtm(vb, input('pixel_values', 'float32', ['B', 3, 64, 64]), cfg, opts);
  const specs = new Map(vb.specs().map((s) => [s.name, s.shape]));
  const d = 12; // embedDim / 2
  const want: [string, number[]][] = [
    ['fpn1.0.weight', [24, 24, 2, 2]], ['fpn1.1.running_var', [24]], ['fpn1.3.bias', [24]], ['fpn2.0.weight', [24, 24, 2, 2]],
    ['decode_head.input_proj_1.weight', [d, 24]], ['decode_head.proj_norm_3.bias', [d]],
    ['decode_head.decoder_1.layers.0.self_attn.in_proj_weight', [3 * d, d]], ['decode_head.decoder_2.layers.1.self_attn.in_proj_bias', [3 * d]],
    ['decode_head.decoder_3.layers.1.self_attn.out_proj.weight', [d, d]], ['decode_head.decoder_1.layers.1.multihead_attn.q.weight', [d, d]],
    ['decode_head.decoder_2.layers.0.multihead_attn.k.bias', [d]], ['decode_head.decoder_3.layers.0.multihead_attn.proj.weight', [d, d]],
    ['decode_head.decoder_1.layers.0.linear1.weight', [4 * d, d]], ['decode_head.decoder_1.layers.0.linear2.weight', [d, 4 * d]],
    ['decode_head.decoder_3.layers.1.norm3.weight', [d]], ['decode_head.q.weight', [2, d]], ['decode_head.class_embed.weight', [3, d]],
  ];
  for (const [n, s] of want) assert.deepEqual(specs.get(n), s, n);
  assert.equal(specs.has('norm.weight'), false);
  assert.equal(specs.has('decode_head.decoder_1.layers.2.norm1.weight'), false);
  assert.equal([...specs.keys()].filter((n) => n.startsWith('decode_head.')).length, 3 * 4 + 3 * 2 * 22 + 3);
  assert.deepEqual(out.logits.shape, ['B', 2, 64, 64]);
  assert.deepEqual(out.masks.shape, ['B', 2, 64, 64]);
  assert.deepEqual(out.stages.map((s) => s.masks.shape), [['B', 2, 16, 16], ['B', 2, 16, 16], ['B', 2, 16, 16]]);
  assert.deepEqual(out.stages[0]!.classLogits.shape, ['B', 2, 3]);
});

test('ATM head + loss match PyTorch: outputs, stage masks, class logits, loss terms and every gradient', async () => {
  const g = await readSafetensors(golden);
  const meta = (k: string): number => JSON.parse(g.metadata[k]!) as number;
  const o: AtmHeadOptions = {
    classes: meta('classes'), inChannels: meta('in_channels'), embedDims: meta('embed_dims'), heads: meta('heads'), layers: meta('layers'),
    outSize: JSON.parse(g.metadata.out_size!) as [number, number],
  };
  const feats = ['feat0', 'feat1', 'feat2'];
  const decl = VarBuilder.declare();
  atmHead(decl.pp('decode_head'), feats.map((n) => input(n, 'float32', g.tensors.get(n)!.shape)), o);
  const names = decl.specs().map((s) => s.name);
  const goldenParams = [...g.tensors.keys()].filter((k) => k.startsWith('decode_head.'));
  assert.deepEqual([...names].sort(), goldenParams.sort(), 'parameter names as the torch state dict');
  for (const s of decl.specs()) assert.deepEqual(s.shape, g.tensors.get(s.name)!.shape, s.name);
  const fn = new CompiledFn(nodeBackend, (ins) => {
    const out = atmHead(VarBuilder.bind(ins).pp('decode_head'), feats.map((n) => ins[n]!), o);
    const terms = atmLossTerms(out, ins.labels!);
    const wrt: Tensor[] = [...names, ...feats].map((n) => ins[n]!);
    const gs = grad(terms.loss, wrt);
    const r: Record<string, Tensor> = { logits: out.logits, pred_masks: out.masks, loss: terms.loss, loss_small: atmLoss(out, ins.labels_small!) };
    out.stages.forEach((s, i) => { r[`stage${i}.masks`] = s.masks; r[`stage${i}.class_logits`] = s.classLogits; });
    terms.stages.forEach((s, i) => { r[`loss.ce.${i}`] = s.ce; r[`loss.focal.${i}`] = s.focal; r[`loss.dice.${i}`] = s.dice; });
    [...names, ...feats].forEach((n, i) => { r[`grad.${n}`] = gs[i]!; });
    return r;
  });
  const feeds = Object.fromEntries([...names, ...feats, 'labels', 'labels_small'].map((n) => [n, g.tensors.get(n)!]));
  const r = await fn.run(feeds);
  let worst = { rel: 0, name: '' };
  for (const [k, v] of Object.entries(r)) {
    const want = g.tensors.get(k);
    assert.ok(want, `golden has ${k}`);
    const rel = close(v, want, k);
    if (rel > worst.rel) worst = { rel, name: k };
  }
  assert.equal(Object.keys(r).length, 4 + 6 + 9 + names.length + 3);
  console.log(`ATM golden: ${Object.keys(r).length} outputs, worst relative error ${worst.rel.toExponential(2)} (${worst.name})`);
  await fn.release();
});

test('atmLoss: gradients match central differences (float64), aux stages, ignore pixels and an absent class', async () => {
  // B = 2, C = 2, two stages on 2×2 maps, final masks at 4×4; image 1 has only class 1; 255 is ignored.
  const labels = ints([2, 4, 4], [0, 0, 1, 1, 0, 255, 1, 1, 0, 0, 1, 255, 0, 0, 1, 1, 1, 1, 1, 1, 1, 255, 1, 1, 1, 1, 1, 1, 255, 255, 1, 1]);
  const xs = [randn([2, 2, 2, 2], 1), randn([2, 2, 2, 2], 2), randn([2, 2, 3], 3), randn([2, 2, 3], 4), randn([2, 2, 4, 4], 5), labels];
  const loss = ([m0, m1, c0, c1, pm, t]: Tensor[]): Tensor => atmLoss({
    logits: pm!, masks: pm!, stages: [{ masks: m0!, classLogits: c0! }, { masks: m1!, classLogits: c1! }],
  }, t!, { ignoreIndex: 255 });
  await gradcheck(loss, xs, { wrt: [0, 2, 3, 4], tol: 1e-6 });
});

/** Bright squares at random places on noise; the mask marks the square. */
function batch(n: number, seed: number): { x: HostTensor<'float32'>; y: HostTensor<'int64'> } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 3 * 64 * 64);
  const y = new BigInt64Array(n * 64 * 64);
  for (let i = 0; i < n; i++) {
    const [r0, c0] = [8 + rng.int(24), 8 + rng.int(24)];
    for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) {
      const inside = r >= r0 && r < r0 + 24 && c >= c0 && c < c0 + 24;
      if (inside) y[(i * 64 + r) * 64 + c] = 1n;
      for (let ch = 0; ch < 3; ch++) x[((i * 3 + ch) * 64 + r) * 64 + c] = (inside ? 1 : -1) + 0.5 * rng.normal();
    }
  }
  return { x: { dtype: 'float32', shape: [n, 3, 64, 64], data: x }, y: { dtype: 'int64', shape: [n, 64, 64], data: y } };
}

test('USFM + ATM trains end to end: the ATM loss falls, eval-mode scores segment held-out squares', async () => {
  const vb = VarBuilder.declare();
  usfmAtm(vb, input('pixel_values', 'float32', ['B', 3, 64, 64]), cfg, opts);
  const sp = vb.specs();
  const rng = new Rng(5);
  const ps = new ParamSet(sp, new Map(sp.map((s) => [s.name, initialise(s.shape, s.init, rng)])));
  const step = new TrainStep(nodeBackend, ps, (v, b) => ({ loss: atmLoss(usfmAtm(v, b.pixel_values!, cfg, opts), b.labels!) }), {
    frozen: (n) => n === 'mask_token',
  });
  const opt = new AdamW(ps, { weightDecay: 0.01 });
  const losses: number[] = [];
  for (let i = 0; i < 20; i++) {
    const { x, y } = batch(4, 10 + i);
    const r = await step.run({ pixel_values: x, labels: y });
    losses.push(r.loss);
    opt.update(r.grads, 2e-3, r.gradNorm);
  }
  await step.release();
  const first = (losses[0]! + losses[1]! + losses[2]!) / 3;
  const last = (losses[17]! + losses[18]! + losses[19]!) / 3;
  assert.ok(last < 0.7 * first, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  console.log(`ATM training: loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  const run = new CompiledFn(nodeBackend, (ins) => ({ logits: usfmAtm(VarBuilder.bind(ins), ins.pixel_values!, cfg, opts).logits }));
  const { x, y } = batch(2, 99);
  const l = (await run.run({ pixel_values: x, ...Object.fromEntries(ps.views()) })).logits!.data as Float32Array;
  let agree = 0;
  for (let i = 0; i < 2 * 4096; i++) {
    const [n, p] = [Math.floor(i / 4096), i % 4096];
    if ((l[(n * 2 + 1) * 4096 + p]! > l[n * 2 * 4096 + p]!) === (y.data[i] === 1n)) agree++;
  }
  assert.ok(agree / 8192 > 0.8, `eval-mode pixel accuracy ${(agree / 8192).toFixed(3)}`);
  console.log(`ATM eval-mode pixel accuracy ${(agree / 8192).toFixed(3)}`);
  await run.release();
});
