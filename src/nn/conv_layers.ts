import type { Tensor } from '../core/tensor.js';
import { batchNormEval, batchNormTrain, conv2d as conv, convTranspose2d as convT, relu, updateRunningStats } from '../ops/index.js';
import type { Init } from './init.js';
import { ones, zeros } from './init.js';
import type { VarBuilder } from './var_builder.js';

/** Kaiming-normal (fan_out, ReLU gain) as mmcv's ConvModule initialises its convolutions. */
export function kaimingFanOut(outChannels: number, kh: number, kw: number): Init {
  return { kind: 'normal', std: Math.sqrt(2 / (outChannels * kh * kw)) };
}

export interface Conv2dSpec {
  readonly in: number;
  readonly out: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly padding?: number;
  readonly bias?: boolean;
}

/** torch.nn.Conv2d: `weight` [out, in, k, k], optional `bias`. */
export function conv2d(vb: VarBuilder, x: Tensor, s: Conv2dSpec): Tensor {
  const w = vb.get('weight', [s.out, s.in, s.kernel, s.kernel], kaimingFanOut(s.out, s.kernel, s.kernel));
  const b = s.bias === false ? null : vb.get('bias', [s.out], zeros);
  return conv(x, w, b, { stride: s.stride ?? 1, padding: s.padding ?? 0 });
}

/** torch.nn.ConvTranspose2d with kernel = stride (the ViT-to-FPN upsampling necks); `weight` [in, out, k, k]. */
export function convTranspose2d(vb: VarBuilder, x: Tensor, inC: number, outC: number, k: number): Tensor {
  const w = vb.get('weight', [inC, outC, k, k], kaimingFanOut(outC, k, k));
  return convT(x, w, vb.get('bias', [outC], zeros), { stride: k });
}

/**
 * torch.nn.BatchNorm2d: in training (vb.training) it normalises with batch statistics and records the
 * updated running_mean/running_var (momentum 0.1, unbiased variance) as buffer updates; otherwise it
 * uses the running statistics.
 */
export function batchNorm2d(vb: VarBuilder, x: Tensor, channels: number, eps = 1e-5, momentum = 0.1): Tensor {
  const w = vb.get('weight', [channels], ones);
  const b = vb.get('bias', [channels], zeros);
  const rm = vb.buffer('running_mean', [channels], zeros);
  const rv = vb.buffer('running_var', [channels], ones);
  if (!vb.training) return batchNormEval(x, w, b, rm, rv, eps);
  const stats = batchNormTrain(x, w, b, eps);
  const next = updateRunningStats(rm, rv, stats, momentum);
  vb.setBuffer('running_mean', next.mean);
  vb.setBuffer('running_var', next.var);
  return stats.y;
}

/** mmcv's ConvModule: conv (no bias) → BatchNorm → ReLU; parameters under `conv.` and `bn.`. */
export function convModule(vb: VarBuilder, x: Tensor, inC: number, outC: number, kernel: number, padding = 0): Tensor {
  const y = conv2d(vb.pp('conv'), x, { in: inC, out: outC, kernel, padding, bias: false });
  return relu(batchNorm2d(vb.pp('bn'), y, outC));
}
