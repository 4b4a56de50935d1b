import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../../core/host.js';
import { Rng } from '../../core/random.js';
import { VarBuilder } from '../../nn/var_builder.js';
import { CompiledFn } from '../../runtime/compiled.js';
import { nodeBackend } from '../../runtime/node.js';
import { makeConfig } from './config.js';
import { usfmEncoder } from './encoder.js';
import { UsfmEncoder } from './model.js';

const cfg = makeConfig('vit-t', { embedDim: 24, heads: 2, depth: 2, imgSize: [32, 48] });
const rng = new Rng(5);
const x: HostTensor<'float32'> = { dtype: 'float32', shape: [2, 3, 32, 48], data: Float32Array.from({ length: 2 * 3 * 32 * 48 }, () => rng.normal()) };
const keep = (v: number[]): HostTensor<'float32'> => ({ dtype: 'float32', shape: [2, 1, 1], data: Float32Array.from(v) });

test('drop-path masks scale each residual branch per sample; a zero mask removes it', async () => {
  const enc = UsfmEncoder.random(cfg, 1);
  const fn = new CompiledFn(nodeBackend, (ins) => {
    const dropPath = [0, 1].map((i) => ({ attn: ins[`dp${i}a`]!, mlp: ins[`dp${i}m`]! }));
    return { tokens: usfmEncoder(VarBuilder.bind(ins), ins.pixel_values!, cfg, { dropPath }).tokens };
  });
  const run = async (masks: number[][], params = enc.params): Promise<Float32Array> => {
    const feeds: Record<string, HostTensor> = { pixel_values: x, ...Object.fromEntries(params) };
    ['dp0a', 'dp0m', 'dp1a', 'dp1m'].forEach((k, i) => { feeds[k] = keep(masks[i]!); });
    return (await fn.run(feeds)).tokens!.data as Float32Array;
  };
  const base = (await enc.embed(x)).tokens.data;
  const ones = await run([[1, 1], [1, 1], [1, 1], [1, 1]]);
  ones.forEach((v, i) => assert.ok(Math.abs(v - base[i]!) < 1e-5));
  // Dropping block 0's attention branch for sample 1 only == zeroing gamma_1 of block 0, for sample 1.
  const dropped = await run([[1, 0], [1, 1], [1, 1], [1, 1]]);
  const noGamma = new Map(enc.params);
  noGamma.set('blocks.0.gamma_1', { dtype: 'float32', shape: [24], data: new Float32Array(24) });
  const ref = (await new UsfmEncoder(cfg, noGamma).embed(x)).tokens.data;
  const half = dropped.length / 2;
  for (let i = 0; i < half; i++) assert.ok(Math.abs(dropped[i]! - base[i]!) < 1e-5);
  for (let i = half; i < dropped.length; i++) assert.ok(Math.abs(dropped[i]! - ref[i]!) < 1e-5);
  assert.ok(Math.abs(dropped[half]! - base[half]!) > 1e-4);
  await fn.release();
});

test('non-square input: token count and pooled shape follow the patch grid', async () => {
  const enc = UsfmEncoder.random(cfg, 2);
  const r = await enc.embed(x);
  assert.deepEqual(r.tokens.shape, [2, 2 * 3 + 1, 24]);
  assert.deepEqual(r.pooled.shape, [2, 24]);
  await assert.rejects(enc.embed({ ...x, shape: [1, 3, 48, 64] }), /expected pixel_values \[B,3,32,48\]/);
});
