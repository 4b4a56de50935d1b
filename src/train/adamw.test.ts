import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { truncNormal, zeros } from '../nn/init.js';
import { AdamW } from './adamw.js';
import { ParamSet } from './param_set.js';

interface Golden {
  lr: number;
  clip: number;
  init: { a: number[]; b: number[] };
  grads: { a: number[]; b: number[]; norm: number }[];
  final: { a: number[]; b: number[] };
}

test('AdamW with per-parameter lr scale, decay flags and global-norm clipping matches torch.optim.AdamW', () => {
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
  const opt = new AdamW(ps, { weightDecay: 0.05, clipNorm: g.clip });
  for (const step of g.grads) {
    const norm = opt.update(new Map([['a', Float32Array.from(step.a)], ['b', Float32Array.from(step.b)]]), g.lr);
    assert.ok(Math.abs(norm - step.norm) < 1e-4 * step.norm);
  }
  const v = ps.views();
  g.final.a.forEach((x, i) => assert.ok(Math.abs(v.get('a')!.data[i]! - x) < 2e-6, `a[${i}]`));
  g.final.b.forEach((x, i) => assert.ok(Math.abs(v.get('b')!.data[i]! - x) < 2e-6, `b[${i}]`));
  assert.equal(opt.step, 5);
});
