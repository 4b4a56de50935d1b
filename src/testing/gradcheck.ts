// Test helpers: run a traced function, and check its gradients against central differences.
import assert from 'node:assert/strict';
import type { HostTensor } from '../core/host.js';
import { Rng } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { input } from '../core/tensor.js';
import { grad, mul, reduceSum } from '../ops/index.js';
import { CompiledFn } from '../runtime/compiled.js';
import { nodeBackend } from '../runtime/node.js';

export function randn(shape: readonly number[], seed: number, dtype: 'float32' | 'float64' = 'float64', scale = 1): HostTensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal() * scale;
  return { dtype, shape, data };
}

/** Largest absolute element difference of two equally shaped tensors (asserts the shapes match). */
export function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  assert.deepEqual(a.shape, b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

export function ints(shape: readonly number[], values: readonly number[]): HostTensor<'int64'> {
  return { dtype: 'int64', shape, data: BigInt64Array.from(values, BigInt) };
}

/** Evaluate fn on host inputs through ONNX Runtime. */
export async function evaluate(fn: (xs: Tensor[]) => Tensor | Tensor[], xs: readonly HostTensor[]): Promise<HostTensor[]> {
  const f = new CompiledFn(nodeBackend, (ins) => {
    const r = fn(xs.map((_, i) => ins[`x${i}`]!));
    return Object.fromEntries((Array.isArray(r) ? r : [r]).map((t, i) => [`y${i}`, t]));
  });
  const out = await f.run(Object.fromEntries(xs.map((x, i) => [`x${i}`, x])));
  await f.release();
  return Object.keys(out).sort().map((k) => out[k]!);
}

export interface GradCheckOptions {
  /** Indices of inputs to check (default: all float inputs). */
  readonly wrt?: readonly number[];
  readonly eps?: number;
  readonly tol?: number;
}

/** Checks d sum(fn(x) * w)/dx from grad() against central differences (float64 inputs recommended). */
export async function gradcheck(fn: (xs: Tensor[]) => Tensor, xs: readonly HostTensor[], opts: GradCheckOptions = {}): Promise<void> {
  const wrt = opts.wrt ?? xs.map((x, i) => (x.dtype === 'float64' || x.dtype === 'float32' ? i : -1)).filter((i) => i >= 0);
  const eps = opts.eps ?? 1e-6;
  const tol = opts.tol ?? 1e-6;
  // Trace once to learn the output's shape and dtype, then feed a random cotangent of that shape.
  const probe = fn(xs.map((x, i) => input(`x${i}`, x.dtype, x.shape)));
  const w = randn(probe.shape as number[], 99, probe.dtype === 'float32' ? 'float32' : 'float64');
  const f = new CompiledFn(nodeBackend, (ins) => {
    const ts = xs.map((_, i) => ins[`x${i}`]!);
    const loss = reduceSum(mul(fn(ts), ins.w!));
    const gs = grad(loss, wrt.map((i) => ts[i]!));
    return { loss, ...Object.fromEntries(gs.map((g, k) => [`g${k}`, g])) };
  });
  const feeds = (vals: readonly HostTensor[]): Record<string, HostTensor> => ({ ...Object.fromEntries(vals.map((x, i) => [`x${i}`, x])), w });
  const base = await f.run(feeds(xs));
  for (const [k, i] of wrt.entries()) {
    const analytic = base[`g${k}`]!.data as Float64Array;
    const x = xs[i]!;
    const worst = { diff: 0, at: -1, a: 0, n: 0 };
    let scale = 0;
    for (let j = 0; j < x.data.length; j++) {
      const plus = (x.data as Float64Array).slice();
      const minus = (x.data as Float64Array).slice();
      plus[j]! += eps;
      minus[j]! -= eps;
      const vals = (d: Float64Array): HostTensor[] => xs.map((v, m) => (m === i ? { ...v, data: d } : v));
      const lp = (await f.run(feeds(vals(plus)), ['loss'])).loss!.data[0] as number;
      const lm = (await f.run(feeds(vals(minus)), ['loss'])).loss!.data[0] as number;
      const num = (lp - lm) / (2 * eps);
      const a = analytic[j]!;
      scale = Math.max(scale, Math.abs(num));
      if (Math.abs(a - num) > worst.diff) Object.assign(worst, { diff: Math.abs(a - num), at: j, a, n: num });
    }
    await Promise.resolve();
    assert.ok(worst.diff <= tol * Math.max(1, scale), `input ${i}: grad[${worst.at}] analytic ${worst.a} vs numeric ${worst.n} (|diff| ${worst.diff})`);
  }
  await f.release();
}
