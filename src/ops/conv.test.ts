import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompiledFn } from '../runtime/compiled.js';
import { nodeBackend } from '../runtime/node.js';
import { evaluate, gradcheck, randn } from '../testing/gradcheck.js';
import * as F from './index.js';

// ORT's Conv / ConvTranspose kernels are float32-only. Both ops are linear in each input, so central
// differences with a large step are exact up to float32 rounding.
const X = (shape: number[], seed: number): ReturnType<typeof randn> => randn(shape, seed, 'float32');
const LIN = { eps: 0.1, tol: 1e-3 };

test('conv2d: stride, asymmetric padding, dilation, bias', async () => {
  await gradcheck(([x, w, b]) => F.conv2d(x!, w!, b!, { stride: 2, padding: 1 }), [X([2, 3, 6, 5], 1), X([4, 3, 3, 3], 2), X([4], 3)], LIN);
  await gradcheck(([x, w]) => F.conv2d(x!, w!, null, { stride: [1, 2], padding: [0, 1, 2, 1], dilation: [2, 1] }), [X([1, 2, 7, 6], 4), X([3, 2, 2, 3], 5)], LIN);
  await gradcheck(([x, w]) => F.conv2d(x!, w!, null, { stride: 3, dilation: 2, padding: 2 }), [X([2, 2, 8, 9], 6), X([2, 2, 3, 2], 7)], LIN);
});

test('conv2d: groups and depthwise', async () => {
  await gradcheck(([x, w, b]) => F.conv2d(x!, w!, b!, { padding: 1, groups: 2 }), [X([2, 4, 5, 5], 8), X([6, 2, 3, 3], 9), X([6], 10)], LIN);
  await gradcheck(([x, w]) => F.conv2d(x!, w!, null, { stride: 2, padding: 1, groups: 3 }), [X([1, 3, 6, 6], 11), X([3, 1, 3, 3], 12)], LIN);
});

test('convTranspose2d: stride, output_padding, dilation, groups, bias', async () => {
  await gradcheck(([x, w, b]) => F.convTranspose2d(x!, w!, b!, { stride: 2, padding: 1, outputPadding: 1 }), [X([2, 3, 4, 3], 13), X([3, 2, 3, 3], 14), X([2], 15)], LIN);
  await gradcheck(([x, w]) => F.convTranspose2d(x!, w!, null, { stride: [2, 3], padding: [1, 0, 0, 2], dilation: [1, 2], outputPadding: [0, 2] }), [X([1, 2, 3, 4], 16), X([2, 3, 2, 3], 17)], LIN);
  await gradcheck(([x, w]) => F.convTranspose2d(x!, w!, null, { stride: 2, groups: 2 }), [X([2, 4, 3, 3], 18), X([4, 1, 2, 2], 19)], LIN);
  // output_padding >= stride (allowed because dilation is larger): dX is cropped.
  await gradcheck(([x, w]) => F.convTranspose2d(x!, w!, null, { stride: 1, dilation: 3, outputPadding: 2 }), [X([1, 1, 3, 3], 20), X([1, 1, 2, 2], 21)], LIN);
});

test('second order: gradient of a conv2d gradient', async () => {
  await gradcheck(([x, w]) => {
    const y = F.conv2d(x!, w!, null, { stride: 2, padding: 1 });
    return F.grad(F.reduceSum(F.mul(y, y)), [w!])[0]!;
  }, [X([1, 2, 5, 5], 22), X([2, 2, 3, 3], 23)], { eps: 0.05, tol: 2e-3 });
});

test('symbolic batch: conv, batch norm, pooling, resize, DFT and their gradients share one session', async () => {
  const f = new CompiledFn(nodeBackend, ({ x, w, g, b }) => {
    let h = F.conv2d(x!, w!, null, { stride: 2, padding: 1 });
    h = F.batchNormTrain(h, g!, b!).y;
    h = F.maxPool2d(F.relu(h), 3, { stride: 2, padding: 1 });
    h = F.add(F.avgPool2d(h, 2, { stride: 1 }), F.adaptiveAvgPool2d(h, 1));
    const up = F.resizeBilinear(h, [5, 6]);
    const loss = F.add(F.reduceSum(F.dftAmplitude(up)), F.reduceSum(F.resizeNearest(h, [4, 4])));
    const [dw, dg] = F.grad(loss, [w!, g!]);
    return { loss, dw: dw!, dg: dg! };
  }, { dynamic: { x: { 0: 'B' } } });
  for (const n of [1, 3]) {
    const r = await f.run({ x: X([n, 2, 9, 8], n), w: X([4, 2, 3, 3], 30), g: X([4], 31), b: X([4], 32) });
    assert.deepEqual(r.dw!.shape, [4, 2, 3, 3]);
    assert.ok(Number.isFinite(r.loss!.data[0] as number));
  }
  assert.equal(f.sessions, 1);
  await f.release();
});

test('convTranspose2d with output_padding ≥ stride adds the bias to the appended rows too (as torch)', async () => {
  const x = randn([1, 2, 3, 3], 30, 'float32');
  const w = randn([2, 2, 2, 2], 31, 'float32');
  const b = randn([2], 32, 'float32');
  const opts = { stride: 1, dilation: 3, outputPadding: 2 } as const;
  const [withB] = await evaluate(([xx, ww, bb]) => F.convTranspose2d(xx!, ww!, bb!, opts), [x, w, b]);
  const [noB] = await evaluate(([xx, ww]) => F.convTranspose2d(xx!, ww!, null, opts), [x, w]);
  const [, c, h, wd] = withB!.shape as number[];
  assert.equal(h, 3 + 3 + 2);
  for (let ch = 0; ch < c!; ch++) for (let i = 0; i < h! * wd!; i++) {
    const k = ch * h! * wd! + i;
    assert.ok(Math.abs((withB!.data[k] as number) - (noB!.data[k] as number) - (b.data[ch] as number)) < 1e-6);
  }
});

test('stride-1 conv2d weight gradients use the GEMM form (3×3 with asymmetric padding and dilation, 1×1)', async () => {
  await gradcheck(([x, w, b]) => F.conv2d(x!, w!, b!, { padding: [1, 0, 2, 1], dilation: [2, 1] }), [X([2, 3, 6, 5], 40), X([4, 3, 3, 2], 41), X([4], 42)], LIN);
  await gradcheck(([x, w]) => F.conv2d(x!, w!, null, { padding: 1 }), [X([2, 5, 4, 4], 43), X([3, 5, 3, 3], 44)], LIN);
  await gradcheck(([x, w]) => F.conv2d(x!, w!, null), [X([3, 4, 3, 5], 45), X([2, 4, 1, 1], 46)], LIN);
});
