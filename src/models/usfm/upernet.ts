import type { Tensor } from '../../core/tensor.js';
import { adaptiveAvgPool2d, add, concat, maxPool2d, resizeBilinear } from '../../ops/index.js';
import { conv2d, convModule } from '../../nn/conv_layers.js';
import type { VarBuilder } from '../../nn/var_builder.js';
import type { UsfmConfig } from './config.js';
import type { EncoderOptions } from './encoder.js';
import { usfmEncoder } from './encoder.js';
import { fpn1, fpn2, tokensToMap } from './necks.js';

export interface UperNetOptions {
  readonly classes: number;
  /** Decoder channels (official: 768). */
  readonly channels?: number;
  /** Auxiliary FCN head channels (official: 256). */
  readonly auxChannels?: number;
  /** Blocks whose outputs feed the four pyramid levels (official [3, 5, 7, 11] at depth 12). */
  readonly outIndices?: readonly [number, number, number, number];
  readonly poolScales?: readonly number[];
}

export interface UperNetOutputs {
  /** Main head logits at input resolution [B, classes, H, W]. */
  readonly logits: Tensor;
  /** Auxiliary FCN head logits at input resolution (weight 0.4 in the official loss). */
  readonly aux: Tensor;
}

/** Default pyramid taps: the official [3, 5, 7, 11] (0-based, of 12 blocks) scaled to the depth. */
export function defaultOutIndices(depth: number): [number, number, number, number] {
  return [3, 5, 7, 11].map((k) => Math.max(0, Math.round(((k + 1) * depth) / 12) - 1)) as [number, number, number, number];
}


/**
 * USFM + UPerNet as the official segmentation model: four ViT block outputs become a 4/8/16/32-stride
 * pyramid (deconv ×2 + BN + GELU, deconv, identity, max-pool), then mmseg's UPerHead (PPM + FPN) and an
 * FCN auxiliary head on level 2. Parameter names follow mmseg (`decode_head.*`, `auxiliary_head.*`);
 * the encoder keeps its own names at the root. Dropout before the classifiers is omitted.
 */
export function usfmUperNet(vb: VarBuilder, x: Tensor, cfg: UsfmConfig, o: UperNetOptions, enc: EncoderOptions = {}): UperNetOutputs {
  const c = cfg.embedDim;
  const ch = o.channels ?? 768;
  const aux = o.auxChannels ?? 256;
  const taps = o.outIndices ?? defaultOutIndices(cfg.depth);
  const [b, , H, W] = x.shape as [Tensor['shape'][number], number, number, number];
  const [h, w] = [H / cfg.patchSize, W / cfg.patchSize];
  const { blocks } = usfmEncoder(vb, x, cfg, { ...enc, finalNorm: false });
  const maps = taps.map((i) => tokensToMap(blocks[i]!, b, c, h, w));
  // Necks: ×4, ×2, ×1, ×½.
  const f1 = fpn1(vb, maps[0]!, c);
  const f2 = fpn2(vb, maps[1]!, c);
  const f4 = maxPool2d(maps[3]!, 2, { stride: 2 });
  const feats = [f1, f2, maps[2]!, f4];
  const sizes = feats.map((f) => [f.shape[2] as number, f.shape[3] as number] as [number, number]);
  const dh = vb.pp('decode_head');
  // PPM on the coarsest level.
  const top = feats[3]!;
  const ppm = (o.poolScales ?? [1, 2, 3, 6]).map((s, i) =>
    resizeBilinear(convModule(dh.pp('psp_modules').pp(i).pp(1), adaptiveAvgPool2d(top, s), c, ch, 1), sizes[3]!));
  const psp = convModule(dh.pp('bottleneck'), concat([top, ...ppm], 1), c + ppm.length * ch, ch, 3, 1);
  // FPN: laterals, top-down sum, 3×3 convs, fuse at stride 4.
  const lat = feats.slice(0, 3).map((f, i) => convModule(dh.pp('lateral_convs').pp(i), f, c, ch, 1));
  lat.push(psp);
  for (let i = 3; i > 0; i--) lat[i - 1] = add(lat[i - 1]!, resizeBilinear(lat[i]!, sizes[i - 1]!));
  const outs = lat.slice(0, 3).map((l, i) => convModule(dh.pp('fpn_convs').pp(i), l, ch, ch, 3, 1));
  outs.push(lat[3]!);
  const fused = concat(outs.map((t, i) => (i === 0 ? t : resizeBilinear(t, sizes[0]!))), 1);
  const fpn = convModule(dh.pp('fpn_bottleneck'), fused, 4 * ch, ch, 3, 1);
  const main = conv2d(dh.pp('conv_seg'), fpn, { in: ch, out: o.classes, kernel: 1 });
  // Auxiliary FCN head on level 2.
  const ah = vb.pp('auxiliary_head');
  const a = convModule(ah.pp('convs').pp(0), feats[2]!, c, aux, 3, 1);
  const auxLogits = conv2d(ah.pp('conv_seg'), a, { in: aux, out: o.classes, kernel: 1 });
  return { logits: resizeBilinear(main, [H, W]), aux: resizeBilinear(auxLogits, [H, W]) };
}
