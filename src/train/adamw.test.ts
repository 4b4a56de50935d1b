import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { truncNormal, zeros } from '../nn/init.js';
import { AdamW } from './adamw.js';
import { adamwKernel } from './adamw_kernel.js';
import { instantiateAdamW } from './adamw_wasm.js';
import { ParamSet } from './param_set.js';

interface Golden {
  lr: number;
  clip: number;
  init: { a: number[]; b: number[] };
  grads: { a: number[]; b: number[]; norm: number }[];
  final: { a: number[]; b: number[] };
}

for (const kernel of ['wasm', 'js'] as const) test(`AdamW (${kernel} kernel) with per-parameter lr scale, decay flags and global-norm clipping matches torch.optim.AdamW`, () => {
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
  const opt = new AdamW(ps, { weightDecay: 0.05, clipNorm: g.clip, kernel });
  assert.equal(opt.kernel, kernel);
  for (const step of g.grads) {
    const norm = opt.update(new Map([['a', Float32Array.from(step.a)], ['b', Float32Array.from(step.b)]]), g.lr);
    assert.ok(Math.abs(norm - step.norm) < 1e-4 * step.norm);
  }
  const v = ps.views();
  g.final.a.forEach((x, i) => assert.ok(Math.abs(v.get('a')!.data[i]! - x) < 2e-6, `a[${i}]`));
  g.final.b.forEach((x, i) => assert.ok(Math.abs(v.get('b')!.data[i]! - x) < 2e-6, `b[${i}]`));
  assert.equal(opt.step, 5);
});

test('the wasm kernel computes the JS kernel\'s update (float32 vs float64 arithmetic) at every length, tail included', () => {
  for (const n of [0, 1, 3, 4, 5, 17, 1000]) {
    const wasm = instantiateAdamW(4 * 4 * (n + 1));
    assert.ok(wasm, 'WebAssembly SIMD is available in Node 20');
    const f = new Float32Array(wasm.memory.buffer);
    const [P, G, M, V] = [0, n, 2 * n, 3 * n];
    const p = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    const g = Float32Array.from({ length: n }, (_, i) => Math.sin(0.7 * i) * (i % 5 === 0 ? 100 : 1));
    const [m, v] = [new Float32Array(n), new Float32Array(n)];
    f.set(p, P);
    for (let step = 1; step <= 3; step++) {
      f.set(g, G);
      const [decay, stepSize, ibc] = [0.999, 1e-2 / (1 - 0.9 ** step), 1 / Math.sqrt(1 - 0.999 ** step)];
      wasm.adamw(4 * P, 4 * G, 4 * M, 4 * V, n, 0.9, 1 - 0.9, 0.999, 1 - 0.999, decay, stepSize, ibc, 1e-8, 0.5);
      adamwKernel(p, g, 0, m, v, 0, n, 0.9, 0.999, decay, stepSize, ibc, 1e-8, 0.5);
    }
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(f[P + i]! - p[i]!) < 1e-6, `n ${n}: p[${i}] ${f[P + i]} vs ${p[i]}`);
      assert.ok(Math.abs(f[M + i]! - m[i]!) < 1e-5 * (1 + Math.abs(m[i]!)), `n ${n}: m[${i}]`);
      assert.ok(Math.abs(f[V + i]! - v[i]!) < 1e-5 * (1 + Math.abs(v[i]!)), `n ${n}: v[${i}]`);
      assert.ok(f[P + i] !== Math.cos(i) || n === 0, 'the update moved p');
    }
    assert.equal(f[4 * n], 0, 'nothing written past the end');
  }
});

test('each parameter keeps its own step count: a late first gradient moves it by lr, as in torch', () => {
  const specs = [
    { name: 'a', shape: [2], init: zeros, decay: false },
    { name: 'b', shape: [2], init: zeros, decay: false },
  ];
  const ps = new ParamSet(specs, new Map([
    ['a', { dtype: 'float32', shape: [2], data: Float32Array.from([1, 1]) }],
    ['b', { dtype: 'float32', shape: [2], data: Float32Array.from([1, 1]) }],
  ]));
  const opt = new AdamW(ps, { weightDecay: 0 });
  opt.update(new Map([['a', Float32Array.from([0.3, -2])]]), 0.1);
  opt.update(new Map([['a', Float32Array.from([0.3, -2])], ['b', Float32Array.from([0.5, -4])]]), 0.1);
  const b = ps.views().get('b')!.data;
  assert.ok(Math.abs(b[0]! - 0.9) < 1e-6 && Math.abs(b[1]! - 1.1) < 1e-6, `b = ${b[0]}, ${b[1]}`);
  const st = opt.state();
  assert.deepEqual(Array.from(st.paramSteps), [2, 1]);
  assert.equal(st.step, 2);
});
