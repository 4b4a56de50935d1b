import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../../core/host.js';
import type { Tensor } from '../../core/tensor.js';
import * as F from '../../ops/index.js';
import { CompiledFn } from '../../runtime/compiled.js';
import { nodeBackend } from '../../runtime/node.js';
import { evaluate, gradcheck, ints, randn } from '../../testing/gradcheck.js';
import { crossEntropy, diceLoss, l1Loss, mseLoss, sigmoidFocalLoss } from './index.js';

const X = (shape: number[], seed: number): HostTensor => randn(shape, seed);
const binary = (shape: number[], seed: number): HostTensor => {
  const r = randn(shape, seed);
  return { ...r, data: (r.data as Float64Array).map((v) => (v > 0 ? 1 : 0)) };
};

test('crossEntropy: [N,C] and spatial, label smoothing, ignore index, class weights', async () => {
  const t1 = ints([4], [0, 2, 1, 2]);
  await gradcheck(([x, t]) => crossEntropy(x!, t!), [X([4, 3], 1), t1], { wrt: [0] });
  const t2 = ints([2, 2, 3], [0, 1, 255, 2, 2, 0, 1, 255, 0, 1, 1, 2]);
  await gradcheck(([x, t]) => crossEntropy(x!, t!, { labelSmoothing: 0.1, ignoreIndex: 255 }), [X([2, 3, 2, 3], 2), t2], { wrt: [0] });
  await gradcheck(([x, t, w]) => crossEntropy(x!, t!, { labelSmoothing: 0.2, ignoreIndex: 255, weight: w! }), [X([2, 3, 2, 3], 3), t2, { dtype: 'float64', shape: [3], data: Float64Array.of(0.2, 1, 3) }], { wrt: [0, 2] });
  // An ignore index inside the class range is honoured too.
  await gradcheck(([x, t]) => crossEntropy(x!, t!, { ignoreIndex: 1 }), [X([4, 3], 4), t1], { wrt: [0] });
});

test('crossEntropy: plain value equals mean negative log-probability', async () => {
  const x = X([3, 4], 5);
  const [l] = await evaluate(([a, t]) => crossEntropy(a!, t!), [x, ints([3], [3, 0, 1])]);
  const d = x.data as Float64Array;
  let want = 0;
  [3, 0, 1].forEach((c, n) => {
    const row = Array.from(d.subarray(n * 4, n * 4 + 4));
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    want += (lse - row[c]!) / 3;
  });
  assert.ok(Math.abs((l!.data[0] as number) - want) < 1e-12);
});

test('diceLoss: sigmoid (binary, ATM smoothing) and softmax (multi-class) gradients', async () => {
  await gradcheck(([x, t]) => diceLoss(x!, t!), [X([2, 1, 3, 3], 6), binary([2, 1, 3, 3], 7)], { wrt: [0] });
  const t = ints([2, 2, 2], [0, 1, 2, 2, 1, 1, 0, 2]);
  await gradcheck(([x, c]) => diceLoss(x!, c!, { activation: 'softmax' }), [X([2, 3, 2, 2], 8), t], { wrt: [0] });
  await gradcheck(([x, c]) => diceLoss(x!, c!, { activation: 'softmax', includeBackground: false, ignoreIndex: 1, smooth: 1e-3 }), [X([2, 3, 2, 2], 9), t], { wrt: [0] });
});

test('sigmoidFocalLoss: gradients (mean and sum, gamma 2 and 1.5, no alpha)', async () => {
  const x = X([3, 4], 10);
  const t = binary([3, 4], 11);
  await gradcheck(([a, b]) => sigmoidFocalLoss(a!, b!), [x, t], { wrt: [0] });
  await gradcheck(([a, b]) => sigmoidFocalLoss(a!, b!, { gamma: 1.5, alpha: -1, reduction: 'sum' }), [x, t], { wrt: [0] });
});

test('l1Loss / mseLoss: plain and masked means', async () => {
  const [p, t] = [X([2, 3, 2], 12), X([2, 3, 2], 13)];
  const m = binary([2, 1, 2], 14);
  await gradcheck(([a, b]) => l1Loss(a!, b!), [p, t]);
  await gradcheck(([a, b]) => mseLoss(a!, b!), [p, t]);
  await gradcheck(([a, b, c]) => l1Loss(a!, b!, c!), [p, t, m], { wrt: [0, 1] });
  await gradcheck(([a, b, c]) => mseLoss(a!, b!, c!), [p, t, m], { wrt: [0, 1] });
  const [v] = await evaluate(([a, b, c]) => mseLoss(a!, b!, c!), [p, t, m]);
  const [pd, td, md] = [p.data as Float64Array, t.data as Float64Array, m.data as Float64Array];
  let s = 0, n = 0;
  for (let i = 0; i < 12; i++) {
    const k = md[Math.floor(i / 6) * 2 + (i % 2)]!;
    s += k * (pd[i]! - td[i]!) ** 2;
    n += k;
  }
  assert.ok(Math.abs((v!.data[0] as number) - s / n) < 1e-12);
});

test('losses with a symbolic batch: one session, finite gradients', async () => {
  const f = new CompiledFn(nodeBackend, ({ x, t, b, p, q }) => {
    const parts: Tensor[] = [
      crossEntropy(x!, t!, { labelSmoothing: 0.1, ignoreIndex: 255 }),
      diceLoss(x!, t!, { activation: 'softmax' }),
      sigmoidFocalLoss(p!, b!),
      diceLoss(p!, b!),
      l1Loss(p!, q!),
      mseLoss(p!, q!, b!),
    ];
    const gs = F.grad(parts.reduce((s, v) => F.add(s, v)), [x!, p!]);
    return { loss: parts.reduce((s, v) => F.add(s, v)), gx: gs[0]!, gp: gs[1]! };
  }, { dynamic: { x: { 0: 'B' }, t: { 0: 'B' }, b: { 0: 'B' }, p: { 0: 'B' }, q: { 0: 'B' } } });
  for (const n of [1, 2]) {
    const r = await f.run({
      x: X([n, 3, 2, 2], 20), t: ints([n, 2, 2], Array.from({ length: n * 4 }, (_, i) => (i === 1 ? 255 : i % 3))),
      b: binary([n, 1, 2, 2], 21), p: X([n, 1, 2, 2], 22), q: X([n, 1, 2, 2], 23),
    });
    assert.ok(Number.isFinite(r.loss!.data[0] as number));
    assert.ok(Array.from(r.gx!.data as Float64Array).every(Number.isFinite));
  }
  assert.equal(f.sessions, 1);
  await f.release();
});
