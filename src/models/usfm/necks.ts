// The ViT → feature-pyramid necks shared by the segmentation heads (the official segbackbone's fpn1…fpn4).
import type { Dim } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import { gelu, reshape, slice, transpose } from '../../ops/index.js';
import { batchNorm2d, convTranspose2d } from '../../nn/conv_layers.js';
import type { VarBuilder } from '../../nn/var_builder.js';

/** Block output [B, N, C] without cls → feature map [B, C, h, w]. */
export function tokensToMap(t: Tensor, b: Dim, c: number, h: number, w: number): Tensor {
  return reshape(transpose(slice(t, 1, 1, h * w + 1), [0, 2, 1]), [b, c, h, w]);
}

/** `fpn1`: ×4 upsampling, deconv 2×2 → BN → GELU → deconv 2×2 (names fpn1.0, fpn1.1, fpn1.3). */
export function fpn1(vb: VarBuilder, m: Tensor, c: number): Tensor {
  const f = convTranspose2d(vb.pp('fpn1').pp(0), m, c, c, 2);
  return convTranspose2d(vb.pp('fpn1').pp(3), gelu(batchNorm2d(vb.pp('fpn1').pp(1), f, c)), c, c, 2);
}

/** `fpn2`: ×2 upsampling, one deconv 2×2 (name fpn2.0). */
export function fpn2(vb: VarBuilder, m: Tensor, c: number): Tensor {
  return convTranspose2d(vb.pp('fpn2').pp(0), m, c, c, 2);
}
