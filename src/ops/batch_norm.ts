import { ONNX_ELEM_TYPE } from '../core/dtype.js';
import type { Op } from '../core/op.js';
import { apply } from '../core/op.js';
import type { Dim } from '../core/shape.js';
import { shapeStr } from '../core/shape.js';
import type { Meta, Tensor } from '../core/tensor.js';
import { hostScalar, sameDType } from './_util.js';
import { add } from './add.js';
import { div } from './div.js';
import { mul } from './mul.js';
import { reduceMean } from './reduce_mean.js';
import { reduceSum } from './reduce_sum.js';
import { reshape } from './reshape.js';
import { sub } from './sub.js';

/** Axes reduced by batch norm (all but the channel axis 1) and the [1, C, 1, …] broadcast shape. */
export function bnAxes(x: Meta): { axes: number[]; chan: Dim[] } {
  if (x.shape.length < 2) throw new Error(`batch norm needs [N, C, …], got ${shapeStr(x.shape)}`);
  return { axes: x.shape.map((_, i) => i).filter((i) => i !== 1), chan: x.shape.map((d, i) => (i === 1 ? d : 1)) };
}

/** Checks per-channel parameters against x's channel count. */
export function checkChannels(ins: readonly Meta[], from: number): Dim {
  const c = ins[0]!.shape[1]!;
  for (const p of ins.slice(from)) if (p.shape.length !== 1 || p.shape[0] !== c) throw new Error(`per-channel inputs must be [${c}]`);
  return c;
}

/** Elements per channel (N·H·W), needed only when a batch statistic itself receives a gradient. */
function perChannel(x: Tensor): number {
  let m = 1;
  bnAxes(x).axes.forEach((i) => {
    const d = x.shape[i]!;
    if (typeof d !== 'number') throw new Error('gradient through batch statistics needs concrete N·H·W');
    m *= d;
  });
  return m;
}

type Eight = [string, string, string, string, string, string, string, string];
function names(tmp: (hint?: string) => string): Eight {
  return Array.from({ length: 8 }, () => tmp('bn')) as Eight;
}

/**
 * Batch normalisation in training mode over axis 1, with batch statistics. Outputs y, the batch mean,
 * the biased batch variance (used for normalising), the unbiased variance (for running statistics, as
 * torch) and 1/sqrt(var + eps). Emitted decomposed; the backward is decomposed too (ORT has no
 * BatchNormalizationGrad): dx = invstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * weight.
 */
export const batchNormTrainOp: Op<{ readonly eps: number }> = {
  name: 'batchNormTrain',
  infer: (ins) => {
    const c = checkChannels(ins, 1);
    const stat = { dtype: sameDType(ins, 'batchNormTrain'), shape: [c] };
    return [{ dtype: ins[0]!.dtype, shape: ins[0]!.shape }, stat, stat, stat, stat];
  },
  grad: ({ inputs, outputs, cotangents, needs }) => {
    const [x, w] = inputs as [Tensor, Tensor, Tensor];
    const [, mean, , , invstd] = outputs as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const [dy, dMean, dVar, dVarU, dInv] = [0, 1, 2, 3, 4].map((i) => cotangents[i] ?? null);
    const { axes, chan } = bnAxes(x);
    const xc = sub(x, reshape(mean, chan));
    const inv = reshape(invstd, chan);
    const xhat = mul(xc, inv);
    let dx: Tensor | null = null;
    if (needs[0] && dy) {
      const g = mul(dy, reshape(w, chan));
      dx = mul(inv, sub(sub(g, reduceMean(g, axes, true)), mul(xhat, reduceMean(mul(g, xhat), axes, true))));
    }
    if (needs[0] && (dMean || dVar || dVarU || dInv)) {
      // Gradients reaching the statistics themselves: d var/dx = 2 xc / M, d mean/dx = 1 / M.
      const m = perChannel(x);
      let dv: Tensor | null = dVar ?? null;
      const addTo = (t: Tensor): void => { dv = dv ? add(dv, t) : t; };
      if (dVarU) addTo(mul(dVarU, m / Math.max(1, m - 1)));
      if (dInv) addTo(mul(mul(dInv, mul(invstd, mul(invstd, invstd))), -0.5));
      let extra: Tensor | null = dMean ? div(reshape(dMean, chan), m) : null;
      if (dv) {
        const t = mul(xc, reshape(mul(dv, 2 / m), chan));
        extra = extra ? add(t, extra) : t;
      }
      if (extra) dx = dx ? add(dx, extra) : add(extra, mul(x, 0));
    }
    const dw = needs[1] && dy ? reduceSum(mul(dy, xhat), axes) : null;
    const db = needs[2] && dy ? reduceSum(dy, axes) : null;
    return [dx, dw, db];
  },
  emit: (ctx, n) => {
    const x = n.inputMeta[0]!;
    const dt = x.dtype;
    const { axes, chan } = bnAxes(x);
    const [xs, w, b] = n.inputs as [string, string, string];
    const [y, mean, vb, vu, inv] = n.outputs as [string, string, string, string, string];
    const [mk, xc, sq, vk, ve, sd, ik, xn] = names(ctx.tmp.bind(ctx));
    const [wk, bk, xw, sz, szf, cnt, cm1, corr] = names(ctx.tmp.bind(ctx));
    const keep = { axes: { ints: axes }, keepdims: { i: 1 } };
    const chanShape = ctx.shapeTensor(chan);
    const flat = ctx.shapeTensor([x.shape[1]!]);
    ctx.node('ReduceMean', [xs], [mk], keep);
    ctx.node('Sub', [xs, mk], [xc]);
    ctx.node('Mul', [xc, xc], [sq]);
    ctx.node('ReduceMean', [sq], [vk], keep);
    ctx.node('Add', [vk, ctx.constant(hostScalar(n.attrs.eps, dt))], [ve]);
    ctx.node('Sqrt', [ve], [sd]);
    ctx.node('Reciprocal', [sd], [ik]);
    ctx.node('Mul', [xc, ik], [xn]);
    ctx.node('Reshape', [w, chanShape], [wk]);
    ctx.node('Reshape', [b, chanShape], [bk]);
    ctx.node('Mul', [xn, wk], [xw]);
    ctx.node('Add', [xw, bk], [y]);
    ctx.node('Reshape', [mk, flat], [mean]);
    ctx.node('Reshape', [vk, flat], [vb]);
    ctx.node('Reshape', [ik, flat], [inv]);
    // Unbiased variance: var * M / (M - 1), M = numel(x) / C read at run time (the batch may be symbolic).
    ctx.node('Size', [xs], [sz]);
    ctx.node('Cast', [sz], [szf], { to: { i: ONNX_ELEM_TYPE[dt] } });
    ctx.node('Div', [szf, ctx.constant(hostScalar(Number(x.shape[1]), dt))], [cnt]);
    ctx.node('Sub', [cnt, ctx.constant(hostScalar(1, dt))], [cm1]);
    ctx.node('Div', [cnt, cm1], [corr]);
    ctx.node('Mul', [vb, corr], [vu]);
  },
};

export interface BatchStats {
  /** Normalised, scaled and shifted output. */
  readonly y: Tensor;
  /** Batch mean per channel [C]. */
  readonly mean: Tensor;
  /** Biased batch variance per channel [C] (what normalised y). */
  readonly var: Tensor;
  /** Unbiased batch variance [C] (what torch folds into running_var). */
  readonly varUnbiased: Tensor;
}

/** Training-mode batch norm over axis 1 of x [N, C, …] with batch statistics. */
export function batchNormTrain(x: Tensor, weight: Tensor, bias: Tensor, eps = 1e-5): BatchStats {
  const [y, mean, v, vu] = apply(batchNormTrainOp, [x, weight, bias], { eps }) as [Tensor, Tensor, Tensor, Tensor, Tensor];
  return { y, mean, var: v, varUnbiased: vu };
}

/** torch's running-statistics update: r ← (1 − momentum)·r + momentum·batch (unbiased variance). */
export function updateRunningStats(
  runningMean: Tensor, runningVar: Tensor, stats: Pick<BatchStats, 'mean' | 'varUnbiased'>, momentum = 0.1,
): { mean: Tensor; var: Tensor } {
  const blend = (r: Tensor, s: Tensor): Tensor => add(mul(r, 1 - momentum), mul(s, momentum));
  return { mean: blend(runningMean, stats.mean), var: blend(runningVar, stats.varUnbiased) };
}
