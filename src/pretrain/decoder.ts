/**
 * SimMIM's light decoder: `decoder = Sequential(Conv2d(embedDim, r²·C, 1), PixelShuffle(r))` over the
 * encoder's patch tokens (cls dropped), r = the patch size, giving a [B, C, H, W] reconstruction.
 * Parameters `decoder.0.weight` [r²·C, D, 1, 1] and `decoder.0.bias` as SimMIM's checkpoint.
 */
import type { Tensor } from '../core/tensor.js';
import { linear, reshape, slice, transpose } from '../ops/index.js';
import { zeros } from '../nn/init.js';
import type { VarBuilder } from '../nn/var_builder.js';
import type { UsfmConfig } from '../models/usfm/config.js';

/**
 * torch.nn.PixelShuffle(r) of a channels-last token map: y [B, gh·gw, C·r²] (row-major patches, channel
 * o = c·r² + i·r + j) → [B, C, gh·r, gw·r] with out[b, c, y·r + i, x·r + j] = y[b, y·gw + x, o].
 */
export function pixelShuffleTokens(y: Tensor, grid: readonly [number, number], channels: number, r: number): Tensor {
  const b = y.shape[0]!;
  const [gh, gw] = grid;
  const t = transpose(reshape(y, [b, gh, gw, channels, r, r]), [0, 3, 1, 4, 2, 5]);
  return reshape(t, [b, channels, gh * r, gw * r]);
}

/**
 * The decoder as a pure function (dtype-generic, for gradient checks): tokens [B, 1 + gh·gw, D] with the
 * cls token first, weight [r²·C, D, 1, 1] (a 1×1 conv is a per-token linear map), bias [r²·C].
 */
export function decodePixels(tokens: Tensor, weight: Tensor, bias: Tensor, grid: readonly [number, number], channels: number, r: number): Tensor {
  const [out, d] = [weight.shape[0] as number, weight.shape[1] as number];
  const n = grid[0] * grid[1];
  const patches = slice(tokens, 1, 1, 1 + n);
  return pixelShuffleTokens(linear(patches, reshape(weight, [out, d]), bias), grid, channels, r);
}

/**
 * The SimMIM decoder on encoder tokens [B, N, D]; `vb` is the model root (parameters under `decoder.0`).
 * Initialised with torch's default Conv2d variance (kaiming_uniform(a=√5): Var = 1/(3·fan_in)), SimMIM
 * leaving its decoder to torch's defaults; bias zero.
 */
export function simmimDecoder(vb: VarBuilder, tokens: Tensor, cfg: Pick<UsfmConfig, 'embedDim' | 'patchSize' | 'inChans' | 'imgSize'>): Tensor {
  const r = cfg.patchSize;
  const out = r * r * cfg.inChans;
  const v = vb.pp('decoder').pp(0);
  const w = v.get('weight', [out, cfg.embedDim, 1, 1], { kind: 'normal', std: 1 / Math.sqrt(3 * cfg.embedDim) });
  const b = v.get('bias', [out], zeros);
  return decodePixels(tokens, w, b, [cfg.imgSize[0] / r, cfg.imgSize[1] / r], cfg.inChans, r);
}
