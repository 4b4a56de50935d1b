import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../core/host.js';
import { Rng } from '../core/random.js';
import { initialise } from '../nn/init.js';
import { VarBuilder } from '../nn/var_builder.js';
import { makeConfig } from '../models/usfm/config.js';
import { usfmEncoder } from '../models/usfm/encoder.js';
import { CompiledFn } from '../runtime/compiled.js';
import { nodeBackend } from '../runtime/node.js';
import { gradcheck, randn } from '../testing/gradcheck.js';
import { MIM_INPUTS, MimMasker } from './batch.js';
import { decodePixels } from './decoder.js';
import { frequencyLoss, spatialLoss } from './losses.js';
import { mimFrozen, mimLoss, mimSpecs } from './objective.js';
import { DUAL_BRANCHES, objectiveOptions } from './options.js';
import type { PretrainObjectiveOptions } from './options.js';

const cfg = makeConfig('vit-t', { embedDim: 24, depth: 1, heads: 2, imgSize: [32, 48], dropPath: 0, sharedRelPos: true });

/** Separable direct DFT of a real [h, w] plane: amplitude per bin. */
function amplitude(x: Float64Array, h: number, w: number): Float64Array {
  const [tr, ti] = [new Float64Array(h * w), new Float64Array(h * w)];
  for (let y = 0; y < h; y++) {
    for (let l = 0; l < w; l++) {
      for (let b = 0; b < w; b++) {
        const t = (-2 * Math.PI * ((l * b) % w)) / w;
        tr[y * w + l]! += x[y * w + b]! * Math.cos(t);
        ti[y * w + l]! += x[y * w + b]! * Math.sin(t);
      }
    }
  }
  const out = new Float64Array(h * w);
  for (let k = 0; k < h; k++) {
    for (let l = 0; l < w; l++) {
      let [re, im] = [0, 0];
      for (let a = 0; a < h; a++) {
        const t = (-2 * Math.PI * ((k * a) % h)) / h;
        const [c, s] = [Math.cos(t), Math.sin(t)];
        re += tr[a * w + l]! * c - ti[a * w + l]! * s;
        im += tr[a * w + l]! * s + ti[a * w + l]! * c;
      }
      out[k * w + l] = Math.sqrt(re * re + im * im + 1e-8);
    }
  }
  return out;
}

/** The objective in plain TypeScript from the encoder's tokens [B, N, D]. */
function reference(tokens: HostTensor, params: Map<string, HostTensor<'float32'>>, feeds: Record<string, HostTensor>, o: PretrainObjectiveOptions): { rec: Float64Array; lSpa: number; lFreq: number; loss: number } {
  const [b, n, d] = tokens.shape as [number, number, number];
  const [H, W] = cfg.imgSize;
  const r = cfg.patchSize;
  const gw = W / r;
  const wt = params.get('decoder.0.weight')!.data;
  const bias = params.get('decoder.0.bias')!.data;
  const rec = new Float64Array(b * 3 * H * W);
  for (let i = 0; i < b; i++) {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const tok = 1 + Math.floor(y / r) * gw + Math.floor(x / r);
          const o2 = c * r * r + (y % r) * r + (x % r);
          let s = bias[o2]!;
          for (let k = 0; k < d; k++) s += wt[o2 * d + k]! * Number(tokens.data[(i * n + tok) * d + k]);
          rec[((i * 3 + c) * H + y) * W + x] = s;
        }
      }
    }
  }
  const tgt = feeds[MIM_INPUTS.target]!.data as Float32Array;
  const pm = feeds[MIM_INPUTS.pixelMask]!.data as Float32Array;
  const fw = feeds[MIM_INPUTS.freqWeight]!.data as Float32Array;
  let [spa, cnt, freq, fcnt] = [0, 0, 0, 0];
  const plane = H * W;
  for (let i = 0; i < b; i++) {
    for (let c = 0; c < 3; c++) {
      const off = (i * 3 + c) * plane;
      for (let j = 0; j < plane; j++) spa += Math.abs(rec[off + j]! - tgt[off + j]!) * pm[i * plane + j]!;
      if (!fw[i]) continue;
      const ar = amplitude(rec.subarray(off, off + plane), H, W);
      const at = amplitude(Float64Array.from(tgt.subarray(off, off + plane)), H, W);
      for (let j = 0; j < plane; j++) freq += Math.abs(Math.log1p(ar[j]!) - Math.log1p(at[j]!));
      fcnt += plane;
    }
    for (let j = 0; j < plane; j++) cnt += pm[i * plane + j]!;
  }
  const lSpa = spa / (cnt + 1e-5) / 3;
  const lFreq = freq / (fcnt + 1e-5);
  return { rec, lSpa, lFreq, loss: lSpa + o.freqWeight * lFreq };
}

function images(b: number, seed: number): HostTensor<'float32'> {
  const rng = new Rng(seed);
  const [H, W] = cfg.imgSize;
  // Smooth-ish images with some structure, normalised-space values around 0.
  return { dtype: 'float32', shape: [b, 3, H, W], data: Float32Array.from({ length: b * 3 * H * W }, (_, i) => Math.sin(i * 0.37) + 0.5 * rng.normal()) };
}

for (const fill of ['noise', 'token'] as const) test(`mimLoss (${fill} fill) equals a plain-TS decoder + L_spa + λ·L_freq on the encoder's tokens`, async () => {
  const o = objectiveOptions({ fill, maskUnit: 16, maskRatio: 0.5, baseBw: 3, centerProtect: 1, freqWeight: 0.7, branch: DUAL_BRANCHES });
  const specs = mimSpecs(cfg, o);
  const rng = new Rng(3);
  const params = new Map(specs.map((s) => [s.name, initialise(s.shape, s.name === 'mask_token' ? { kind: 'normal', std: 1 } : s.init, rng)]));
  const batch = new MimMasker(cfg, o, 12).prepare(images(5, 1));
  assert.deepEqual(new Set(batch.masks.map((m) => m.branch)), new Set(['spatial', 'frequency', 'both']));
  const feeds: Record<string, HostTensor> = { ...Object.fromEntries(params), ...batch.feeds };
  const f = new CompiledFn(nodeBackend, (ins) => {
    const vb = VarBuilder.bind(ins);
    const r = mimLoss(vb, ins, cfg, o);
    const tm = o.fill === 'token' ? ins[MIM_INPUTS.tokenMask] : undefined;
    const { tokens } = usfmEncoder(VarBuilder.bind(ins), ins[MIM_INPUTS.pixels]!, cfg, { tokenMask: tm });
    return { loss: r.loss, lSpa: r.lSpa, lFreq: r.lFreq!, rec: r.reconstruction, tokens };
  });
  const out = await f.run(feeds);
  await f.release();
  const want = reference(out.tokens!, params, feeds, o);
  let err = 0;
  out.rec!.data.forEach((v, i) => { err = Math.max(err, Math.abs(Number(v) - want.rec[i]!)); });
  assert.ok(err < 1e-4, `reconstruction differs by ${err}`);
  for (const [k, w] of [['lSpa', want.lSpa], ['lFreq', want.lFreq], ['loss', want.loss]] as const) {
    const got = Number(out[k]!.data[0]);
    assert.ok(Math.abs(got - w) < 1e-4 * Math.max(1, Math.abs(w)), `${k}: graph ${got} vs plain ${w}`);
  }
  assert.ok(want.lSpa > 0.1 && want.lFreq > 0.1);
});

test('spatial only: no frequency-weight feed and no L_freq in the graph; the loss is the dual graph\'s L_spa on the same feeds', async () => {
  const o = objectiveOptions({ fill: 'token', maskUnit: 16, maskRatio: 0.5, branch: { spatial: 1, frequency: 0, both: 0 } });
  const rng = new Rng(5);
  const params = new Map(mimSpecs(cfg, o).map((s) => [s.name, initialise(s.shape, s.name === 'mask_token' ? { kind: 'normal', std: 1 } : s.init, rng)]));
  const batch = new MimMasker(cfg, o, 12).prepare(images(3, 2));
  assert.equal(MIM_INPUTS.freqWeight in batch.feeds, false);
  const run = async (obj: PretrainObjectiveOptions, extra: Record<string, HostTensor>): Promise<Record<string, HostTensor>> => {
    // mimLoss throws if it asks for a feed the batch lacks, so the spatial graph cannot contain L_freq.
    const f = new CompiledFn(nodeBackend, (ins) => {
      const r = mimLoss(VarBuilder.bind(ins), ins, cfg, obj);
      return { loss: r.loss, lSpa: r.lSpa, ...(r.lFreq ? { lFreq: r.lFreq } : {}) };
    });
    try {
      return await f.run({ ...Object.fromEntries(params), ...batch.feeds, ...extra });
    } finally {
      await f.release();
    }
  };
  const spatial = await run(o, {});
  assert.equal(spatial.lFreq, undefined);
  const none: HostTensor = { dtype: 'float32', shape: [3, 1, 1, 1], data: new Float32Array(3) };
  const dual = await run({ ...o, branch: DUAL_BRANCHES }, { [MIM_INPUTS.freqWeight]: none });
  assert.equal(Number(dual.lFreq!.data[0]), 0);
  const want = Number(dual.lSpa!.data[0]);
  assert.ok(want > 0.1);
  for (const k of ['loss', 'lSpa']) assert.ok(Math.abs(Number(spatial[k]!.data[0]) - want) < 1e-6, `${k}: ${Number(spatial[k]!.data[0])} vs ${want}`);
});

test('decoder + L_freq (and L_spa): analytic gradients match central differences (float64)', async () => {
  const [b, d, grid, ch, r] = [2, 3, [2, 3] as const, 3, 2];
  const n = 1 + grid[0] * grid[1];
  const tokens = randn([b, n, d], 1);
  const weight = randn([r * r * ch, d, 1, 1], 2, 'float64', 0.7);
  const bias = randn([r * r * ch], 3, 'float64', 0.2);
  const target = randn([b, ch, grid[0] * r, grid[1] * r], 4);
  const fw: HostTensor = { dtype: 'float64', shape: [b, 1, 1, 1], data: Float64Array.of(1, 1) };
  for (const logScale of [true, false]) {
    await gradcheck(([t, w, bi, tg, wt]) => frequencyLoss(decodePixels(t!, w!, bi!, grid, ch, r), tg!, wt!, logScale), [tokens, weight, bias, target, fw], { wrt: [0, 1, 2], tol: 1e-6 });
  }
  const pm = randn([b, 1, grid[0] * r, grid[1] * r], 5);
  const mask: HostTensor = { ...pm, data: (pm.data as Float64Array).map((v) => (v > 0 ? 1 : 0)) };
  await gradcheck(([t, w, bi, tg, m]) => spatialLoss(decodePixels(t!, w!, bi!, grid, ch, r), tg!, m!), [tokens, weight, bias, target, mask], { wrt: [0, 1, 2] });
});

test('mimSpecs: encoder names as the USFM checkpoint plus SimMIM decoder.0; mask_token frozen unless token fill', () => {
  const specs = new Map(mimSpecs(cfg, objectiveOptions()).map((s) => [s.name, s]));
  assert.deepEqual(specs.get('decoder.0.weight')!.shape, [16 * 16 * 3, 24, 1, 1]);
  assert.deepEqual(specs.get('decoder.0.bias')!.shape, [768]);
  assert.ok(specs.has('mask_token') && specs.has('norm.weight') && specs.has('rel_pos_bias.relative_position_bias_table'));
  assert.equal(mimFrozen(objectiveOptions({ fill: 'noise' }))('mask_token'), true);
  assert.equal(mimFrozen(objectiveOptions({ fill: 'token' }))('mask_token'), false);
  assert.equal(mimFrozen(objectiveOptions())('decoder.0.weight'), false);
});
