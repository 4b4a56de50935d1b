import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, gradcheck, randn } from '../testing/gradcheck.js';
import * as F from './index.js';

const X = (shape: number[], seed: number): ReturnType<typeof randn> => randn(shape, seed);
const positive = (t: ReturnType<typeof randn>): ReturnType<typeof randn> => ({ ...t, data: (t.data as Float64Array).map((v) => Math.abs(v) + 0.5) });

test('batchNormTrain: gradients for x, weight, bias (float64)', async () => {
  await gradcheck(([x, w, b]) => F.batchNormTrain(x!, w!, b!).y, [X([3, 2, 2, 3], 1), X([2], 2), X([2], 3)]);
  await gradcheck(([x, w, b]) => F.batchNormTrain(x!, w!, b!, 1e-3).y, [X([4, 3], 4), X([3], 5), X([3], 6)]);
});

test('batchNormTrain: gradients through the batch statistics themselves', async () => {
  await gradcheck(([x, w, b]) => {
    const s = F.batchNormTrain(x!, w!, b!);
    return F.concat([s.mean, s.var, s.varUnbiased, F.reduceSum(s.y, [0, 2, 3])], 0);
  }, [X([2, 2, 3, 2], 7), X([2], 8), X([2], 9)], { tol: 1e-5 });
});

test('batchNormTrain: statistics and running-stat update match a direct computation', async () => {
  const x = X([2, 3, 2, 2], 10);
  const rm = X([3], 11);
  const rv = positive(X([3], 12));
  const [mean, v, vu, nm, nv] = await evaluate(([a, w, b, m, r]) => {
    const s = F.batchNormTrain(a!, w!, b!);
    const u = F.updateRunningStats(m!, r!, s, 0.1);
    return [s.mean, s.var, s.varUnbiased, u.mean, u.var];
  }, [x, X([3], 13), X([3], 14), rm, rv]);
  const d = x.data as Float64Array;
  for (let c = 0; c < 3; c++) {
    const vals: number[] = [];
    for (let n = 0; n < 2; n++) for (let k = 0; k < 4; k++) vals.push(d[(n * 3 + c) * 4 + k]!);
    const mu = vals.reduce((p, q) => p + q, 0) / 8;
    const ss = vals.reduce((p, q) => p + (q - mu) ** 2, 0);
    const close = (got: number, want: number): void => assert.ok(Math.abs(got - want) < 1e-12, `${got} vs ${want}`);
    close(mean!.data[c] as number, mu);
    close(v!.data[c] as number, ss / 8);
    close(vu!.data[c] as number, ss / 7);
    close(nm!.data[c] as number, 0.9 * (rm.data[c] as number) + 0.1 * mu);
    close(nv!.data[c] as number, 0.9 * (rv.data[c] as number) + 0.1 * ss / 7);
  }
});

test('batchNormEval: gradients for every input', async () => {
  await gradcheck(([x, w, b, m, v]) => F.batchNormEval(x!, w!, b!, m!, v!), [X([2, 3, 2, 2], 15), X([3], 16), X([3], 17), X([3], 18), positive(X([3], 19))]);
});

test('maxPool2d: overlapping windows, padding, dilation; indices within each plane', async () => {
  await gradcheck(([x]) => F.maxPool2d(x!, 3, { stride: 2, padding: 1 }), [X([2, 2, 5, 6], 20)]);
  await gradcheck(([x]) => F.maxPool2d(x!, [2, 3], { stride: [1, 2], dilation: [2, 1] }), [X([1, 2, 5, 7], 21)]);
  const x = X([1, 2, 4, 4], 22);
  const [y, idx] = await evaluate(([a]) => {
    const r = F.maxPool2dWithIndices(a!, 2);
    return [r.y, r.indices];
  }, [x]);
  const d = x.data as Float64Array;
  for (let c = 0; c < 2; c++) {
    for (let k = 0; k < 4; k++) {
      const i = Number(idx!.data[c * 4 + k]);
      assert.equal(d[c * 16 + i], y!.data[c * 4 + k]);
      assert.ok(i >= 0 && i < 16);
    }
  }
});

test('avgPool2d (float32 kernel): count_include_pad on and off', async () => {
  const x = randn([2, 2, 5, 6], 23, 'float32');
  const lin = { eps: 0.1, tol: 1e-3 };
  await gradcheck(([a]) => F.avgPool2d(a!, 3, { stride: 2, padding: 1 }), [x], lin);
  await gradcheck(([a]) => F.avgPool2d(a!, [2, 3], { stride: [2, 1], padding: [1, 1], countIncludePad: false }), [x], lin);
  await gradcheck(([a]) => F.avgPool2d(a!, 2), [x], lin);
});

test('adaptiveAvgPool2d: torch bins (overlapping when not divisible), gradients', async () => {
  const x = X([2, 3, 7, 5], 24);
  await gradcheck(([a]) => F.adaptiveAvgPool2d(a!, [3, 2]), [x]);
  await gradcheck(([a]) => F.adaptiveAvgPool2d(a!, 1), [x]);
  const [y] = await evaluate(([a]) => F.adaptiveAvgPool2d(a!, [3, 2]), [x]);
  const d = x.data as Float64Array;
  const bins = (size: number, out: number, i: number): [number, number] => [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
  for (let p = 0; p < 6; p++) {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const [r0, r1] = bins(7, 3, i);
        const [c0, c1] = bins(5, 2, j);
        let s = 0;
        for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) s += d[p * 35 + r * 5 + c]!;
        assert.ok(Math.abs((y!.data[p * 6 + i * 2 + j] as number) - s / ((r1 - r0) * (c1 - c0))) < 1e-12);
      }
    }
  }
});
