import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { truncNormal, zeros } from '../nn/init.js';
import { AdamW } from './adamw.js';
import { binPack } from './adamw_kernel.js';
import { ParamSet } from './param_set.js';

interface Golden {
  lr: number;
  clip: number;
  init: { a: number[]; b: number[] };
  grads: { a: number[]; b: number[]; norm: number }[];
  final: { a: number[]; b: number[] };
}

for (const threads of [1, 2, 3]) test(`AdamW (${threads} thread(s)) with per-parameter lr scale, decay flags and global-norm clipping matches torch.optim.AdamW`, async () => {
  const g = JSON.parse(readFileSync(new URL('../../fixtures/torch/adamw.json', import.meta.url), 'utf8')) as Golden;
  const specs = [
    { name: 'a', shape: [3, 4], init: truncNormal(1), decay: true },
    { name: 'b', shape: [4], init: zeros, decay: false },
  ];
  const ps = new ParamSet(specs, new Map([
    ['a', { dtype: 'float32', shape: [3, 4], data: Float32Array.from(g.init.a) }],
    ['b', { dtype: 'float32', shape: [4], data: Float32Array.from(g.init.b) }],
  ]));
  ps.slot('a').lrScale = 0.5;
  const opt = new AdamW(ps, { weightDecay: 0.05, clipNorm: g.clip, threads });
  for (const step of g.grads) {
    const norm = await opt.update(new Map([['a', Float32Array.from(step.a)], ['b', Float32Array.from(step.b)]]), g.lr);
    assert.ok(Math.abs(norm - step.norm) < 1e-4 * step.norm);
  }
  const v = ps.views();
  g.final.a.forEach((x, i) => assert.ok(Math.abs(v.get('a')!.data[i]! - x) < 2e-6, `a[${i}]`));
  g.final.b.forEach((x, i) => assert.ok(Math.abs(v.get('b')!.data[i]! - x) < 2e-6, `b[${i}]`));
  assert.equal(opt.step, 5);
  await opt.close();
});

test('binPack deals whole ranges into bins of about equal size', () => {
  const rs = [5, 1, 9, 3, 4, 4].map((size, i) => ({ offset: i * 10, size, decay: 1, stepSize: 1, invSqrtBc2: 1 }));
  const bins = binPack(rs, 2);
  assert.deepEqual(bins.map((b) => b.reduce((a, r) => a + r.size, 0)).sort(), [13, 13]);
  assert.equal(bins.flat().length, rs.length);
  assert.deepEqual(binPack(rs, 1)[0]!.length, 6);
});

test('each parameter keeps its own step count: a late first gradient moves it by lr, as in torch', async () => {
  const specs = [
    { name: 'a', shape: [2], init: zeros, decay: false },
    { name: 'b', shape: [2], init: zeros, decay: false },
  ];
  const ps = new ParamSet(specs, new Map([
    ['a', { dtype: 'float32', shape: [2], data: Float32Array.from([1, 1]) }],
    ['b', { dtype: 'float32', shape: [2], data: Float32Array.from([1, 1]) }],
  ]));
  const opt = new AdamW(ps, { weightDecay: 0 });
  await opt.update(new Map([['a', Float32Array.from([0.3, -2])]]), 0.1);
  await opt.update(new Map([['a', Float32Array.from([0.3, -2])], ['b', Float32Array.from([0.5, -4])]]), 0.1);
  const b = ps.views().get('b')!.data;
  assert.ok(Math.abs(b[0]! - 0.9) < 1e-6 && Math.abs(b[1]! - 1.1) < 1e-6, `b = ${b[0]}, ${b[1]}`);
  const st = opt.state();
  assert.deepEqual(Array.from(st.paramSteps), [2, 1]);
  assert.equal(st.step, 2);
});
