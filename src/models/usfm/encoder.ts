import type { Tensor } from '../../core/tensor.js';
import { constant } from '../../core/tensor.js';
import {
  add, concat, expand, gather, gelu, matmul, mul, reduceMean, reshape, slice, softmax, split, transpose,
} from '../../ops/index.js';
import { linear as linearFn } from '../../ops/linear.js';
import { constInit, truncNormal, zeros } from '../../nn/init.js';
import { layerNorm, linear } from '../../nn/layers.js';
import type { VarBuilder } from '../../nn/var_builder.js';
import type { UsfmConfig } from './config.js';
import { relativePositionIndex, tableRows } from './rel_pos.js';

export interface EncoderOutputs {
  /** Final-norm token features [B, N, C], cls token at index 0. */
  readonly tokens: Tensor;
  /** Mean of the patch tokens (cls excluded) [B, C]. */
  readonly pooled: Tensor;
  /** Un-normalised outputs of every block [B, N, C] (for segmentation necks). */
  readonly blocks: readonly Tensor[];
}

export interface EncoderOptions {
  /** Per-block keep masks for drop-path, each [B, 1, 1] already scaled by 1/keep (training only). */
  readonly dropPath?: readonly { readonly attn: Tensor; readonly mlp: Tensor }[];
  /**
   * Apply the pretrained final `norm` (default true). The official classifier drops it and normalises
   * the pooled features with a new `fc_norm` instead; with false, `tokens` are the last block's output
   * and `norm.*` is not a parameter.
   */
  readonly finalNorm?: boolean;
  /** Per-patch mask [B, P, 1] in {0,1}: masked patch embeddings are replaced by mask_token (SimMIM). */
  readonly tokenMask?: Tensor;
}

/** Relative position bias [heads, N, N] gathered by `idx` from a [(2wh−1)(2ww−1)+3, heads] table. */
function relPosBias(vb: VarBuilder, idx: Tensor, wh: number, ww: number, heads: number): Tensor {
  const table = vb.get('relative_position_bias_table', [tableRows(wh, ww), heads], truncNormal(0.02));
  const n = wh * ww + 1;
  return transpose(reshape(gather(table, idx, 0), [n, n, heads]), [2, 0, 1]);
}

function attention(vb: VarBuilder, x: Tensor, cfg: UsfmConfig, bias: Tensor, layer: number): Tensor {
  const [b, n] = [x.shape[0]!, x.shape[1]!];
  const c = cfg.embedDim;
  const h = cfg.heads;
  const d = c / h;
  const w = vb.get('qkv.weight', [3 * c, c], truncNormal(0.02));
  const qb = vb.get('q_bias', [c], zeros);
  const vbias = vb.get('v_bias', [c], zeros);
  const kb = constant({ dtype: 'float32', shape: [c], data: new Float32Array(c) });
  const qkv = linearFn(x, w, concat([qb, kb, vbias], 0));
  // One Split (its gradient is one Concat), then per-head layouts; k goes straight to [B,h,d,N].
  const [qs, ks, vs] = split(qkv, 2, [c, c, c]).map((t) => reshape(t, [b, n, h, d])) as [Tensor, Tensor, Tensor];
  const q = transpose(qs, [0, 2, 1, 3]);
  const kT = transpose(ks, [0, 2, 3, 1]);
  const v = transpose(vs, [0, 2, 1, 3]);
  const logits = add(matmul(mul(q, d ** -0.5), kT), bias);
  const out = reshape(transpose(matmul(softmax(logits, -1), v), [0, 2, 1, 3]), [b, n, c]);
  return linear(vb.pp('proj'), out, c, c, { init: truncNormal(0.02, 1 / Math.sqrt(2 * layer)) });
}

function mlp(vb: VarBuilder, x: Tensor, cfg: UsfmConfig, layer: number): Tensor {
  const c = cfg.embedDim;
  const hid = Math.round(c * cfg.mlpRatio);
  const h = gelu(linear(vb.pp('fc1'), x, c, hid));
  return linear(vb.pp('fc2'), h, hid, c, { init: truncNormal(0.02, 1 / Math.sqrt(2 * layer)) });
}

/** Patch embedding as an exact reshape + matmul (a stride = kernel conv), [B,3,H,W] → [B,P,C]. */
function patchEmbed(vb: VarBuilder, x: Tensor, cfg: UsfmConfig, wh: number, ww: number): Tensor {
  const p = cfg.patchSize;
  const c = cfg.embedDim;
  const ch = cfg.inChans;
  const b = x.shape[0]!;
  const w = vb.get('proj.weight', [c, ch, p, p], truncNormal(0.02));
  const bias = vb.get('proj.bias', [c], zeros);
  const patches = reshape(transpose(reshape(x, [b, ch, wh, p, ww, p]), [0, 2, 4, 1, 3, 5]), [b, wh * ww, ch * p * p]);
  return linearFn(patches, reshape(w, [c, ch * p * p]), bias);
}

/** The USFM encoder: parameter names as the official checkpoint. */
export function usfmEncoder(vb: VarBuilder, x: Tensor, cfg: UsfmConfig, opts: EncoderOptions = {}): EncoderOutputs {
  const [b, ch, hh, ww_] = x.shape;
  if (ch !== cfg.inChans || typeof hh !== 'number' || typeof ww_ !== 'number') throw new Error(`encoder input must be [B,${cfg.inChans},H,W], got [${x.shape.join(',')}]`);
  if (hh % cfg.patchSize || ww_ % cfg.patchSize) throw new Error(`input ${hh}×${ww_} is not a multiple of the patch size ${cfg.patchSize}`);
  const [wh, ww] = [hh / cfg.patchSize, ww_ / cfg.patchSize];
  const c = cfg.embedDim;
  let tokens = patchEmbed(vb.pp('patch_embed'), x, cfg, wh, ww);
  const maskToken = vb.get('mask_token', [1, 1, c], truncNormal(0.02), { decay: false });
  if (opts.tokenMask) {
    const m = opts.tokenMask;
    tokens = add(mul(tokens, add(mul(m, -1), 1)), mul(expand(maskToken, [b!, 1, c]), m));
  }
  const cls = vb.get('cls_token', [1, 1, c], truncNormal(0.02), { decay: false });
  let h = concat([expand(cls, [b!, 1, c]), tokens], 1);
  // One index constant for all blocks (per-block tables gather with the same index).
  const idx = constant({ dtype: 'int64', shape: [(wh * ww + 1) ** 2], data: relativePositionIndex(wh, ww) });
  const shared = cfg.sharedRelPos ? relPosBias(vb.pp('rel_pos_bias'), idx, wh, ww, cfg.heads) : null;
  const outs: Tensor[] = [];
  for (let i = 0; i < cfg.depth; i++) {
    const bv = vb.pp('blocks').pp(i);
    const bias = shared ?? relPosBias(bv.pp('attn'), idx, wh, ww, cfg.heads);
    const g1 = bv.get('gamma_1', [c], constInit(cfg.layerScaleInit), { decay: false });
    const g2 = bv.get('gamma_2', [c], constInit(cfg.layerScaleInit), { decay: false });
    const dp = opts.dropPath?.[i];
    let a = mul(attention(bv.pp('attn'), layerNorm(bv.pp('norm1'), h, c, cfg.eps), cfg, bias, i + 1), g1);
    if (dp) a = mul(a, dp.attn);
    h = add(h, a);
    let m = mul(mlp(bv.pp('mlp'), layerNorm(bv.pp('norm2'), h, c, cfg.eps), cfg, i + 1), g2);
    if (dp) m = mul(m, dp.mlp);
    h = add(h, m);
    outs.push(h);
  }
  const normed = opts.finalNorm === false ? h : layerNorm(vb.pp('norm'), h, c, cfg.eps);
  const n = wh * ww + 1;
  const pooled = reduceMean(slice(normed, 1, 1, n), [1]);
  return { tokens: normed, pooled, blocks: outs };
}
