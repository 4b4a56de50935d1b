// Compares our ops (float32, through ONNX Runtime) with PyTorch goldens from fixtures/torch/ops/gen_ops.py:
// forward within 1e-5 and gradients of sum(out · cotangent) within 1e-4 (absolute).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import type { HostTensor } from '../core/host.js';
import type { Tensor } from '../core/tensor.js';
import { crossEntropy, diceLoss, l1Loss, mseLoss, sigmoidFocalLoss } from '../nn/losses/index.js';
import { CompiledFn } from '../runtime/compiled.js';
import { nodeBackend } from '../runtime/node.js';
import * as F from './index.js';

interface JsonTensor { readonly dtype: 'float32' | 'int64' | 'bool'; readonly shape: number[]; readonly data: number[] }
interface Golden {
  readonly op: string;
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly inputs: Readonly<Record<string, JsonTensor>>;
  readonly outputs: Readonly<Record<string, JsonTensor>>;
  readonly cotangents: Readonly<Record<string, JsonTensor>>;
  readonly grads: Readonly<Record<string, JsonTensor>>;
}

const DIR = new URL('../../fixtures/torch/ops/', import.meta.url);

function host(t: JsonTensor): HostTensor {
  if (t.dtype === 'int64') return { dtype: 'int64', shape: t.shape, data: BigInt64Array.from(t.data, BigInt) };
  if (t.dtype === 'bool') return { dtype: 'bool', shape: t.shape, data: Uint8Array.from(t.data) };
  return { dtype: 'float32', shape: t.shape, data: Float32Array.from(t.data) };
}

/** Typed views of a case's torch-style attributes. */
class Attrs {
  constructor(private readonly a: Readonly<Record<string, unknown>>) {}
  num(k: string, d: number): number {
    const v = this.a[k];
    return typeof v === 'number' ? v : d;
  }
  pair(k: string, d: number): number | [number, number] {
    const v = this.a[k];
    if (Array.isArray(v)) return [Number(v[0]), Number(v[1])];
    return typeof v === 'number' ? v : d;
  }
  bool(k: string, d: boolean): boolean {
    const v = this.a[k];
    return typeof v === 'boolean' ? v : d;
  }
  str(k: string, d: string): string {
    const v = this.a[k];
    return typeof v === 'string' ? v : d;
  }
  has(k: string): boolean {
    return k in this.a;
  }
}

type Builder = (t: Readonly<Record<string, Tensor>>, a: Attrs) => Record<string, Tensor>;

const conv = (t: Readonly<Record<string, Tensor>>, a: Attrs): { stride: number | [number, number]; padding: number | [number, number]; dilation: number | [number, number]; groups: number } => ({
  stride: a.pair('stride', 1), padding: a.pair('padding', 0), dilation: a.pair('dilation', 1), groups: a.num('groups', 1),
});

const BUILDERS: Readonly<Record<string, Builder>> = {
  conv2d: (t, a) => ({ y: F.conv2d(t.x!, t.w!, t.b, conv(t, a)) }),
  conv_transpose2d: (t, a) => ({ y: F.convTranspose2d(t.x!, t.w!, t.b, { ...conv(t, a), outputPadding: a.pair('output_padding', 0) }) }),
  batch_norm_train: (t, a) => {
    const s = F.batchNormTrain(t.x!, t.w!, t.b!, a.num('eps', 1e-5));
    const r = F.updateRunningStats(t.rm!, t.rv!, s, a.num('momentum', 0.1));
    return { y: s.y, running_mean: r.mean, running_var: r.var };
  },
  batch_norm_eval: (t, a) => ({ y: F.batchNormEval(t.x!, t.w!, t.b!, t.rm!, t.rv!, a.num('eps', 1e-5)) }),
  max_pool2d: (t, a) => ({ y: F.maxPool2d(t.x!, a.pair('kernel_size', 1), { stride: a.pair('stride', 1), padding: a.pair('padding', 0) }) }),
  avg_pool2d: (t, a) => ({
    y: F.avgPool2d(t.x!, a.pair('kernel_size', 1), { stride: a.pair('stride', 1), padding: a.pair('padding', 0), countIncludePad: a.bool('count_include_pad', true) }),
  }),
  adaptive_avg_pool2d: (t, a) => ({ y: F.adaptiveAvgPool2d(t.x!, a.pair('output_size', 1)) }),
  interpolate: (t, a) => ({
    y: a.str('mode', '') === 'bilinear' ? F.resizeBilinear(t.x!, a.pair('size', 1), a.bool('align_corners', false)) : F.resizeNearest(t.x!, a.pair('size', 1)),
  }),
  fft2_amplitude: (t, a) => {
    const amp = F.dftAmplitude(t.x!, a.num('eps', 1e-8));
    return { amp, shifted: F.fftshift(amp) };
  },
  ifft2: (t) => {
    const z = F.idft2({ re: t.re!, im: t.im! });
    return { re: z.re, im: z.im };
  },
  cross_entropy: (t, a) => ({
    loss: crossEntropy(t.x!, t.t!, { labelSmoothing: a.num('label_smoothing', 0), ignoreIndex: a.num('ignore_index', -100), weight: t.weight }),
  }),
  dice: (t, a) => ({ loss: diceLoss(t.x!, t.t!, { activation: a.str('activation', 'sigmoid') === 'softmax' ? 'softmax' : 'sigmoid', smooth: a.num('smooth', 1) }) }),
  sigmoid_focal: (t, a) => ({ loss: sigmoidFocalLoss(t.x!, t.t!, { alpha: a.num('alpha', 0.25), gamma: a.num('gamma', 2) }) }),
  l1: (t) => ({ loss: l1Loss(t.p!, t.q!, t.m) }),
  mse: (t) => ({ loss: mseLoss(t.p!, t.q!, t.m) }),
  softmax: (t, a) => ({ y: F.softmax(t.x!, a.num('dim', -1)) }),
  layer_norm: (t, a) => ({ y: F.layerNorm(t.x!, t.w!, t.b!, a.num('eps', 1e-5)) }),
  gelu: (t) => ({ y: F.gelu(t.x!) }),
  matmul: (t) => ({ y: F.matmul(t.a!, t.b!) }),
  gather: (t, a) => ({ y: F.gather(t.x!, t.i!, a.num('axis', 0)) }),
};

function assertClose(got: HostTensor, want: JsonTensor, tol: number, what: string): void {
  assert.deepEqual([...got.shape], want.shape, `${what}: shape`);
  let worst = 0;
  let at = -1;
  want.data.forEach((w, i) => {
    const d = Math.abs(Number(got.data[i]) - w);
    if (!(d <= worst)) { worst = d; at = i; }
  });
  assert.ok(worst <= tol, `${what}: |diff| ${worst} at [${at}] (got ${Number(got.data[at])}, want ${want.data[at]})`);
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

test('torch goldens are present', () => assert.ok(files.length >= 30, `only ${files.length} golden files in ${DIR.pathname}`));

for (const file of files) {
  test(`torch golden: ${file.replace(/\.json$/, '')}`, async () => {
    const g = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as Golden;
    const build = BUILDERS[g.op];
    assert.ok(build, `no builder for op '${g.op}'`);
    const attrs = new Attrs(g.attrs);
    const gradNames = Object.keys(g.grads);
    const f = new CompiledFn(nodeBackend, (ins) => {
      const inputs = Object.fromEntries(Object.keys(g.inputs).map((k) => [k, ins[k]!]));
      const outs = build(inputs, attrs);
      let loss: Tensor | null = null;
      for (const k of Object.keys(g.cotangents)) {
        const term = F.reduceSum(F.mul(outs[k]!, ins[`cot_${k}`]!));
        loss = loss ? F.add(loss, term) : term;
      }
      const grads = loss && gradNames.length ? F.grad(loss, gradNames.map((k) => inputs[k]!)) : [];
      return {
        ...Object.fromEntries(Object.entries(outs).map(([k, v]) => [`out_${k}`, v])),
        ...Object.fromEntries(grads.map((v, i) => [`grad_${gradNames[i]}`, v])),
      };
    });
    const feeds: Record<string, HostTensor> = {};
    for (const [k, v] of Object.entries(g.inputs)) feeds[k] = host(v);
    for (const [k, v] of Object.entries(g.cotangents)) feeds[`cot_${k}`] = host(v);
    const r = await f.run(feeds);
    await f.release();
    for (const [k, want] of Object.entries(g.outputs)) assertClose(r[`out_${k}`]!, want, 1e-5, `${file} output ${k}`);
    for (const [k, want] of Object.entries(g.grads)) assertClose(r[`grad_${k}`]!, want, 1e-4, `${file} grad ${k}`);
  });
}
