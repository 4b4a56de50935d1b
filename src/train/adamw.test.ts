import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { truncNormal, zeros } from '../nn/init.js';
import { AdamW } from './adamw.js';
import { partition } from './adamw_kernel.js';
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

test('partition splits ranges into equal shares, cutting a range where needed', () => {
  const rs = [{ offset: 0, size: 10, decay: 1, stepSize: 1 }, { offset: 10, size: 3, decay: 0.5, stepSize: 2 }, { offset: 20, size: 7, decay: 1, stepSize: 3 }];
  const parts = partition(rs, 2);
  assert.deepEqual(parts.map((p) => p.reduce((a, r) => a + r.size, 0)), [10, 10]);
  assert.deepEqual(parts[1]![0], { offset: 10, size: 3, decay: 0.5, stepSize: 2 });
  const three = partition(rs, 3);
  assert.deepEqual(three.map((p) => p.reduce((a, r) => a + r.size, 0)), [7, 7, 6]);
  assert.deepEqual(three[0]![0], { offset: 0, size: 7, decay: 1, stepSize: 1 });
  assert.deepEqual(three[1]![0], { offset: 7, size: 3, decay: 1, stepSize: 1 });
});
