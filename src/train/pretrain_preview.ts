// Every k epochs a pretraining run writes a PNG grid: per preview image, the original, the masked input
// the encoder saw (token-masked units painted grey), and the reconstruction (visible pixels pasted back).
// The preview images and their masks are fixed for the whole run (first epoch's draws of a dedicated
// seed), so grids from different epochs are comparable.
import type { HostTensor } from '../core/host.js';
import type { RasterImage } from '../data/image.js';
import { writePng } from '../data/encode.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import { VarBuilder } from '../nn/var_builder.js';
import type { MimBatch } from '../pretrain/batch.js';
import { MIM_INPUTS, MimMasker } from '../pretrain/batch.js';
import { mimLoss } from '../pretrain/objective.js';
import type { PretrainObjectiveOptions } from '../pretrain/options.js';
import { CompiledFn } from '../runtime/compiled.js';
import { nodeBackend } from '../runtime/node.js';

/** Normalised [C, H, W] planes → 8-bit RGB raster (undoing mean/std, clipping to 0…255). */
export function denormalise(data: Float32Array, h: number, w: number, mean: readonly number[], std: readonly number[]): RasterImage {
  const plane = h * w;
  const out = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = (data[c * plane + i]! * std[c]! + mean[c]!) * 255;
      out[i * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return { width: w, height: h, channels: 3, data: out };
}

/** Tiles equally sized RGB rasters into rows × cols with a `gap`-pixel white border. */
export function tile(cells: readonly RasterImage[], cols: number, gap = 4): RasterImage {
  const { width: w, height: h } = cells[0]!;
  const rows = Math.ceil(cells.length / cols);
  const W = cols * w + (cols + 1) * gap;
  const H = rows * h + (rows + 1) * gap;
  const out = new Uint8Array(W * H * 3).fill(255);
  cells.forEach((c, k) => {
    const x0 = gap + (k % cols) * (w + gap);
    const y0 = gap + Math.floor(k / cols) * (h + gap);
    for (let y = 0; y < h; y++) out.set(c.data.subarray(y * w * 3, (y + 1) * w * 3), ((y0 + y) * W + x0) * 3);
  });
  return { width: W, height: H, channels: 3, data: out };
}

/**
 * With the `token` fill the encoder's pixels are untouched (the masking happens on patch embeddings), so
 * the "masked input" cell would show nothing masked: paint the masked units mid-grey there instead
 * (display only). `pixels` [N, C, H, W] normalised, `mask` [N, 1, H, W]; returns a copy.
 */
export function paintMasked(pixels: Float32Array, mask: Float32Array, c: number, plane: number, mean: readonly number[], std: readonly number[]): Float32Array {
  const out = pixels.slice();
  const n = mask.length / plane;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const grey = (0.5 - mean[ch]!) / std[ch]!;
      const base = (i * c + ch) * plane;
      for (let p = 0; p < plane; p++) if (mask[i * plane + p]) out[base + p] = grey;
    }
  }
  return out;
}

/**
 * The reconstruction cell: for an image with a spatial mask, the prediction in its masked units and the
 * original's visible pixels around them (as SimMIM/MAE figures; L_spa trains only the masked pixels, so
 * the prediction elsewhere means little); a frequency-only image keeps its whole prediction (L_freq
 * compares the whole image). Arrays as {@link paintMasked}; returns a copy.
 */
export function pasteVisible(rec: Float32Array, target: Float32Array, mask: Float32Array, c: number, plane: number): Float32Array {
  const out = rec.slice();
  const n = mask.length / plane;
  for (let i = 0; i < n; i++) {
    const m = mask.subarray(i * plane, (i + 1) * plane);
    if (!m.some((v) => v !== 0)) continue;
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * plane;
      for (let p = 0; p < plane; p++) if (!m[p]) out[base + p] = target[base + p]!;
    }
  }
  return out;
}

export class PreviewGrid {
  private readonly fn: CompiledFn;
  private readonly batch: MimBatch;
  /** The "masked input" cells' pixels (fixed for the run). */
  private readonly input: Float32Array;

  /** `pixels`: the preview images, normalised [N, 3, H, W] and not augmented. */
  constructor(private readonly cfg: UsfmConfig, private readonly o: PretrainObjectiveOptions, pixels: HostTensor<'float32'>, seed: number) {
    this.batch = new MimMasker(cfg, o, seed).prepare(pixels);
    const [, c, h, w] = pixels.shape as [number, number, number, number];
    const shown = this.batch.feeds[MIM_INPUTS.pixels]!.data;
    this.input = o.fill === 'token' ? paintMasked(shown, this.batch.feeds[MIM_INPUTS.pixelMask]!.data, c, h * w, o.pixelMean, o.pixelStd) : shown;
    this.fn = new CompiledFn(nodeBackend, (ins) => ({ reconstruction: mimLoss(VarBuilder.bind(ins), ins, cfg, o).reconstruction }));
  }

  async write(path: string, params: ReadonlyMap<string, HostTensor>): Promise<void> {
    const r = await this.fn.run({ ...Object.fromEntries(params), ...this.batch.feeds });
    const rec = r.reconstruction!.data as Float32Array;
    const target = this.batch.feeds[MIM_INPUTS.target]!;
    const mask = this.batch.feeds[MIM_INPUTS.pixelMask]!.data;
    const [n, c, h, w] = target.shape as [number, number, number, number];
    const img = c * h * w;
    const pic = (t: Float32Array, i: number): RasterImage => denormalise(t.subarray(i * img, (i + 1) * img), h, w, this.o.pixelMean, this.o.pixelStd);
    const shown = pasteVisible(rec, target.data, mask, c, h * w);
    const cells: RasterImage[] = [];
    for (let i = 0; i < n; i++) {
      cells.push(pic(target.data, i), pic(this.input, i), pic(shown, i));
    }
    await writePng(path, tile(cells, 3));
  }

  async release(): Promise<void> {
    await this.fn.release();
  }
}
