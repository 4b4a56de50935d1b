/**
 * Host-side preparation of a pretraining batch: per image, a branch, a spatial unit mask and/or a set of
 * removed rings; then the masked input and the loss masks, as the feeds {@link mimLoss} reads.
 *
 * The frequency masking of the input is done here, not in the graph: it needs no gradient, differs per
 * image (a graph version would filter every image, then select), and keeps the training graph to the
 * loss's own DFTs. On the host a 224² image costs two complex 2-D FFTs when grey (channels equal in
 * pixel space, as ultrasound replicated to RGB) and four when coloured (two channels per transform):
 * ≈ 15 / 26 ms on one core, so ≈ 0.1 s for a batch of 8 at the default branch mix, which can overlap
 * the previous step (ORT runs on its own threads). In the graph, DFT-by-matmul at [8,3,224,224] would
 * add a forward and an inverse DFT (≈ 2 × 78 ms on the same 2 cores) to every step.
 */
import type { HostTensor } from '../core/host.js';
import { Rng } from '../core/random.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import type { FftPlans } from './mask_image.js';
import { bandStopImage, fftPlans, fillMasked } from './mask_image.js';
import type { RingGeometry, UnitMask } from './masks.js';
import {
  chooseBranch, chooseRings, hasFrequency, hasSpatial, pixelMask, ringGeometry, ringStopMask, spatialUnitMask, tokenMask,
} from './masks.js';
import type { Branch, PretrainObjectiveOptions } from './options.js';
import { usesFrequency, validateObjective } from './options.js';

/** Names of the batch inputs of the objective's graph. */
export const MIM_INPUTS = {
  /** [B, C, H, W] the masked, normalised input the encoder sees. */
  pixels: 'pixel_values',
  /** [B, C, H, W] the original normalised image. */
  target: 'mim_target',
  /** [B, 1, H, W] 1 on the spatially masked pixels of spatial/both images (L_spa's mask). */
  pixelMask: 'mim_pixel_mask',
  /** [B, 1, 1, 1] 1 for frequency/both images (L_freq's per-image weight). */
  freqWeight: 'mim_freq_weight',
  /** [B, P, 1] masked patches of spatial/both images (`token` fill only). */
  tokenMask: 'mim_token_mask',
} as const;

/** The masks drawn for one image. */
export interface ImageMasks {
  readonly branch: Branch;
  readonly units: UnitMask | null;
  /** Per ring of the geometry, 1 = removed. */
  readonly removedRings: Uint8Array | null;
}

export interface MimBatch {
  readonly feeds: Record<string, HostTensor<'float32'>>;
  readonly masks: readonly ImageMasks[];
}

type Geometry = Pick<UsfmConfig, 'imgSize' | 'patchSize' | 'inChans'>;

/** Draws masks and builds masked batches for one image size; seeded, and resumable through `rngState`. */
export class MimMasker {
  readonly rings: RingGeometry;
  private readonly plans: FftPlans;
  private readonly rng: Rng;

  constructor(readonly cfg: Geometry, readonly o: PretrainObjectiveOptions, seed: number) {
    validateObjective(o);
    const [h, w] = cfg.imgSize;
    if (h % o.maskUnit || w % o.maskUnit) throw new Error(`image ${h}×${w} is not a multiple of the mask unit ${o.maskUnit}`);
    if (o.fill === 'token' && o.maskUnit % cfg.patchSize) throw new Error(`token fill needs the mask unit (${o.maskUnit}) to be a multiple of the patch size (${cfg.patchSize})`);
    this.rings = ringGeometry(h, w, o);
    this.plans = fftPlans(h, w);
    this.rng = new Rng(seed);
  }

  get rngState(): number {
    return this.rng.state;
  }

  set rngState(s: number) {
    this.rng.state = s;
  }

  /** Draw the masks of `n` images. */
  draw(n: number): ImageMasks[] {
    const [h, w] = this.cfg.imgSize;
    const rings = this.rings.edges.length - 1;
    return Array.from({ length: n }, () => {
      const branch = chooseBranch(this.rng, this.o.branch);
      const units = hasSpatial(branch) ? spatialUnitMask(this.rng, h, w, this.o.maskUnit, this.o.maskRatio) : null;
      const removedRings = hasFrequency(branch) ? chooseRings(this.rng, rings, this.o.freqRatio) : null;
      return { branch, units, removedRings };
    });
  }

  /** Draw masks for a normalised [B, C, H, W] batch and build its feeds. */
  prepare(pixels: HostTensor<'float32'>): MimBatch {
    return this.apply(pixels, this.draw(pixels.shape[0] ?? 0));
  }

  /**
   * The feeds for given masks. Per image: spatial fill first (unless `token`), then the band-stop, as the
   * figure (mean-padded spatial mask → DFT → band-stop → iDFT). The noise of the `noise` fill is drawn here.
   */
  apply(pixels: HostTensor<'float32'>, masks: readonly ImageMasks[]): MimBatch {
    const [b, c, h, w] = pixels.shape;
    const [H, W] = this.cfg.imgSize;
    if (pixels.shape.length !== 4 || c !== this.cfg.inChans || h !== H || w !== W) {
      throw new Error(`expected pixel_values [B,${this.cfg.inChans},${H},${W}], got [${pixels.shape.join(',')}]`);
    }
    if (masks.length !== b) throw new Error(`${masks.length} mask sets for ${b} images`);
    const plane = H * W;
    const img = c * plane;
    const x = pixels.data.slice();
    const pm = new Float32Array(b * plane);
    const fw = new Float32Array(b);
    const token = this.o.fill === 'token';
    const p = this.cfg.patchSize;
    const patches = (H / p) * (W / p);
    const tm = new Float32Array(token ? b * patches : 0);
    masks.forEach((m, i) => {
      const one = x.subarray(i * img, (i + 1) * img);
      if (m.units) {
        const px = pixelMask(m.units);
        pm.set(px, i * plane);
        if (token) tm.set(tokenMask(m.units, p), i * patches);
        else fillMasked(one, c, px, this.o.fill === 'noise' ? this.o.noiseStd : 0, this.rng);
      }
      if (m.removedRings) {
        fw[i] = 1;
        bandStopImage(one, c, H, W, ringStopMask(this.rings, m.removedRings), this.o.pixelMean, this.o.pixelStd, this.plans);
      }
    });
    const f32 = (shape: number[], data: Float32Array): HostTensor<'float32'> => ({ dtype: 'float32', shape, data });
    const feeds: Record<string, HostTensor<'float32'>> = {
      [MIM_INPUTS.pixels]: f32([b, c, H, W], x),
      [MIM_INPUTS.target]: pixels,
      [MIM_INPUTS.pixelMask]: f32([b, 1, H, W], pm),
    };
    if (usesFrequency(this.o)) feeds[MIM_INPUTS.freqWeight] = f32([b, 1, 1, 1], fw);
    if (token) feeds[MIM_INPUTS.tokenMask] = f32([b, patches, 1], tm);
    return { feeds, masks };
  }
}
