import type { Dim } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import {
  add, expand, matmul, mul, reduceMean, relu, reshape, resizeBilinear, sigmoid, slice, softmax, split, transpose,
} from '../../ops/index.js';
import { linear as linearFn } from '../../ops/linear.js';
import type { Init } from '../../nn/init.js';
import { truncNormal, zeros } from '../../nn/init.js';
import { layerNorm, linear } from '../../nn/layers.js';
import type { VarBuilder } from '../../nn/var_builder.js';
import type { UsfmConfig } from './config.js';
import type { EncoderOptions } from './encoder.js';
import { usfmEncoder } from './encoder.js';
import { fpn1, fpn2, tokensToMap } from './necks.js';

/** torch.nn.LayerNorm's default eps: the ATM head's proj_norm_* and decoder norms keep it. */
const LN_EPS = 1e-5;

export interface AtmOptions {
  /** Semantic classes C (queries; the class logits have C + 1 entries, the last is "no object"). */
  readonly classes: number;
  /** Decoder width (official 384 with the 768-wide ViT-B). Default: embedDim / 2, so the width scales with the backbone. */
  readonly embedDims?: number;
  /** Attention heads of the decoder layers (official 12). Default: the backbone's head count (head dim 32 for every preset). */
  readonly heads?: number;
  /** Decoder layers per stage (official 3). */
  readonly layers?: number;
  /** Blocks whose outputs feed the three stages, fine to coarse (official [5, 7, 11] at depth 12). */
  readonly outIndices?: readonly [number, number, number];
}

export interface AtmHeadOptions {
  readonly classes: number;
  /** Channels of every input feature map (official 768). */
  readonly inChannels: number;
  readonly embedDims: number;
  readonly heads: number;
  readonly layers: number;
  /** Input image size [H, W]: the final masks and the semantic scores are resized to it. */
  readonly outSize: readonly [number, number];
}

export interface AtmStage {
  /**
   * Mask logits [B, C, h0, w0] at the finest map's size: the cumulative sum of this and all earlier
   * (coarser) stages' attention maps, each upsampled bilinearly (the official outputs_seg_masks).
   */
  readonly masks: Tensor;
  /** Class logits [B, C, C + 1] of this stage's queries (shared class_embed). */
  readonly classLogits: Tensor;
}

export interface AtmOutputs {
  /** Per-pixel class scores [B, C, H, W]: einsum(softmax(cls)[..., :C], sigmoid(masks)) (official semantic_inference). */
  readonly logits: Tensor;
  /** Final mask logits [B, C, H, W]: the last stage's masks resized to the input (official pred_masks). */
  readonly masks: Tensor;
  /** Stages in execution order, coarse → fine; the last is the final prediction, the others are the aux outputs. */
  readonly stages: readonly AtmStage[];
}

/** Default stage taps: the official [5, 7, 11] (0-based, of 12 blocks) scaled to the depth. */
export function defaultAtmOutIndices(depth: number): [number, number, number] {
  return [5, 7, 11].map((k) => Math.max(0, Math.round(((k + 1) * depth) / 12) - 1)) as [number, number, number];
}

/** Decoder width and heads for a backbone (see AtmOptions). */
export function atmDims(cfg: Pick<UsfmConfig, 'embedDim' | 'heads'>, o: AtmOptions): { embedDims: number; heads: number } {
  const embedDims = o.embedDims ?? cfg.embedDim / 2;
  const heads = o.heads ?? cfg.heads;
  if (!Number.isInteger(embedDims) || embedDims % heads) throw new Error(`ATM width ${embedDims} is not divisible by ${heads} heads`);
  return { embedDims, heads };
}

/** xavier_uniform's std for a [fanOut, fanIn] matrix (used as a truncated normal of that std). */
function xavier(fanIn: number, fanOut: number): Init {
  return truncNormal(Math.sqrt(2 / (fanIn + fanOut)));
}

/** [B, N, d] → per-head [B, h, N, d/h]. */
function heads4(t: Tensor, b: Dim, n: Dim, h: number, dh: number): Tensor {
  return transpose(reshape(t, [b, n, h, dh]), [0, 2, 1, 3]);
}

/** Per-head [B, h, N, d/h] → [B, N, d]. */
function merge(t: Tensor, b: Dim, n: Dim, d: number): Tensor {
  return reshape(transpose(t, [0, 2, 1, 3]), [b, n, d]);
}

/** torch.nn.MultiheadAttention self-attention (packed in_proj, out_proj), batch first. */
function selfAttention(vb: VarBuilder, x: Tensor, d: number, h: number): Tensor {
  const [b, n] = [x.shape[0]!, x.shape[1]!];
  const dh = d / h;
  const w = vb.get('in_proj_weight', [3 * d, d], xavier(d, 3 * d));
  const qkv = linearFn(x, w, vb.get('in_proj_bias', [3 * d], zeros));
  const [q, k, v] = split(qkv, 2, [d, d, d]).map((t) => heads4(t, b, n, h, dh)) as [Tensor, Tensor, Tensor];
  const attn = softmax(matmul(mul(q, dh ** -0.5), transpose(k, [0, 1, 3, 2])), -1);
  return linear(vb.pp('out_proj'), merge(matmul(attn, v), b, n, d), d, d);
}

/**
 * SegViT's cross-attention: separate q/k/v Linear (with bias) and proj. Also returns the head-averaged
 * scaled logits before the softmax [B, Nq, Nk] (the attention-to-mask output).
 */
function crossAttention(vb: VarBuilder, x: Tensor, mem: Tensor, d: number, h: number): { out: Tensor; logits: Tensor } {
  const [b, nq, nk] = [x.shape[0]!, x.shape[1]!, mem.shape[1]!];
  const dh = d / h;
  const q = heads4(linear(vb.pp('q'), x, d, d), b, nq, h, dh);
  const kT = transpose(reshape(linear(vb.pp('k'), mem, d, d), [b, nk, h, dh]), [0, 2, 3, 1]);
  const v = heads4(linear(vb.pp('v'), mem, d, d), b, nk, h, dh);
  const logits = mul(matmul(q, kT), dh ** -0.5);
  const out = linear(vb.pp('proj'), merge(matmul(softmax(logits, -1), v), b, nq, d), d, d);
  return { out, logits: reduceMean(logits, [1]) };
}

/** One post-norm decoder layer (torch TransformerDecoderLayer with ReLU, the cross-attention swapped). */
function decoderLayer(vb: VarBuilder, x: Tensor, mem: Tensor, d: number, h: number): { out: Tensor; logits: Tensor } {
  let t = layerNorm(vb.pp('norm1'), add(x, selfAttention(vb.pp('self_attn'), x, d, h)), d, LN_EPS);
  const ca = crossAttention(vb.pp('multihead_attn'), t, mem, d, h);
  t = layerNorm(vb.pp('norm2'), add(t, ca.out), d, LN_EPS);
  const ff = linear(vb.pp('linear2'), relu(linear(vb.pp('linear1'), t, d, 4 * d)), 4 * d, d);
  return { out: layerNorm(vb.pp('norm3'), add(t, ff), d, LN_EPS), logits: ca.logits };
}

/**
 * The SegViT ATM head (Attention-to-Mask) as in the official USFM SegVit config, on feature maps
 * `feats` [B, inChannels, h_i, w_i] in backbone order (fine → coarse). `vb` is the head's own builder
 * (`vb.pp('decode_head')` in a full model); names below are relative to it and follow the mmseg
 * ATMHead state dict: `input_proj_{s}` (Linear in→d), `proj_norm_{s}` (LayerNorm),
 * `decoder_{s}.layers.{l}.{self_attn.in_proj_weight, self_attn.in_proj_bias, self_attn.out_proj.*,
 * multihead_attn.{q,k,v,proj}.*, linear1.*, linear2.*, norm1.*, norm2.*, norm3.*}`, `q.weight` (the
 * [C, d] query embedding) and `class_embed.*` (one Linear d → C+1 shared by all stages), with
 * s = 1 for the coarsest map (the stages run coarse → fine, queries passed along).
 *
 * Each stage's masks are the last layer's head-averaged pre-softmax cross-attention logits reshaped to
 * [B, C, h, w]; stage masks are upsampled to the finest map and summed cumulatively. Differences from
 * the official code: dropout (0.1 in the decoder layers and attention) is omitted so training and
 * evaluation graphs agree; maps may be non-square (the official d3_to_d4 assumes square maps and drops
 * a token when h·w is odd). Inits: Linear trunc_normal(.02) and LayerNorm 1/0 (the head's
 * init_weights), the packed in_proj a normal of xavier_uniform's std, the query embedding N(0, 1).
 */
export function atmHead(vb: VarBuilder, feats: readonly Tensor[], o: AtmHeadOptions): AtmOutputs {
  const { classes: c, inChannels: cin, embedDims: d, heads: h } = o;
  if (feats.length === 0 || o.layers < 1) throw new Error('the ATM head needs at least one feature map and one layer');
  if (d % h) throw new Error(`ATM width ${d} is not divisible by ${h} heads`);
  const b = feats[0]!.shape[0]!;
  const sizes = feats.map((f) => [f.shape[2] as number, f.shape[3] as number] as const);
  const finest = sizes[0]!;
  const qw = vb.get('q.weight', [c, d], { kind: 'normal', std: 1 });
  let q = expand(reshape(qw, [1, c, d]), [b, c, d]);
  const stages: AtmStage[] = [];
  let acc: Tensor | null = null;
  for (let s = 0; s < feats.length; s++) {
    const i = feats.length - 1 - s;
    const [fh, fw] = sizes[i]!;
    const mem3 = transpose(reshape(feats[i]!, [b, cin, fh * fw]), [0, 2, 1]);
    const mem = layerNorm(vb.pp(`proj_norm_${s + 1}`), linear(vb.pp(`input_proj_${s + 1}`), mem3, cin, d), d, LN_EPS);
    let logits = mem;
    for (let l = 0; l < o.layers; l++) {
      const r = decoderLayer(vb.pp(`decoder_${s + 1}`).pp('layers').pp(l), q, mem, d, h);
      q = r.out;
      logits = r.logits;
    }
    const m = resizeBilinear(reshape(logits, [b, c, fh, fw]), [finest[0], finest[1]]);
    acc = acc ? add(acc, m) : m;
    stages.push({ masks: acc, classLogits: linear(vb.pp('class_embed'), q, d, c + 1) });
  }
  const last = stages[stages.length - 1]!;
  const masks = resizeBilinear(last.masks, [o.outSize[0], o.outSize[1]]);
  // einsum('bqc,bqhw->bchw') with q = c: the query axis is the class axis, so the scores are a batched matmul.
  const probs = slice(softmax(last.classLogits, -1), 2, 0, c);
  const [H, W] = o.outSize;
  const flat = reshape(sigmoid(masks), [b, c, H * W]);
  const logits = reshape(matmul(transpose(probs, [0, 2, 1]), flat), [b, c, H, W]);
  return { logits, masks, stages };
}

/**
 * USFM + SegViT (ATM head) as the official SegVit config: three block outputs (official [5, 7, 11])
 * go through the backbone's fpn1 (deconv ×2 + BN + GELU + deconv, ×4) and fpn2 (deconv, ×2) necks and
 * the identity, giving stride 4/8/16 maps (128², 64², 32² at 512), then the ATM head. Names: the
 * encoder and the necks at the root (`fpn1.0/1/3.*`, `fpn2.0.*`, as usfmUperNet), the head under
 * `decode_head.*` (see atmHead). Note the official SegVit config builds the ViT without q/v bias and
 * LayerScale; this encoder always has them (loaded or at their inits).
 */
export function usfmAtm(vb: VarBuilder, x: Tensor, cfg: UsfmConfig, o: AtmOptions, enc: EncoderOptions = {}): AtmOutputs {
  const c = cfg.embedDim;
  const taps = o.outIndices ?? defaultAtmOutIndices(cfg.depth);
  const [b, , H, W] = x.shape as [Dim, number, number, number];
  const [h, w] = [H / cfg.patchSize, W / cfg.patchSize];
  const { blocks } = usfmEncoder(vb, x, cfg, { ...enc, finalNorm: false });
  const maps = taps.map((i) => {
    if (!blocks[i]) throw new Error(`ATM tap ${i} is past the encoder depth ${cfg.depth}`);
    return tokensToMap(blocks[i], b, c, h, w);
  });
  const f1 = fpn1(vb, maps[0]!, c);
  const f2 = fpn2(vb, maps[1]!, c);
  const { embedDims, heads } = atmDims(cfg, o);
  return atmHead(vb.pp('decode_head'), [f1, f2, maps[2]!], {
    classes: o.classes, inChannels: c, embedDims, heads, layers: o.layers ?? 3, outSize: [H, W],
  });
}
