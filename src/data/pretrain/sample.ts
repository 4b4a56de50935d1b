/**
 * Pretraining samples: decode → random resized crop (area 0.67–1, aspect 3/4–4/3, as
 * SimMIM's pretraining crop) → bicubic resize to S×S → flips → normalise (ImageNet mean/std)
 * to float32 [3, S, S], grayscale replicated to 3 channels — the fine-tuning pipeline's
 * format (segSample / clsSample), so `collate` and `BatchLoader` take these samples as they
 * are. The sample has no mask or label: the masked-image-modelling target is the
 * normalised image itself (and its spectrum), and patch masks are drawn per batch.
 * Augmentations reuse loader/augment.ts, drawing from the per-sample RNG in its fixed order.
 */
import type { Rng } from '../../core/random.js';
import { decodeFrames, decodeImage } from '../decode.js';
import type { RasterImage } from '../image.js';
import type { CropOptions } from '../loader/augment.js';
import { augmentSample } from '../loader/augment.js';
import type { LoadFn, Sample } from '../loader/loader.js';
import type { Triple } from '../preprocess.js';
import { imageToTensor } from '../preprocess.js';
import type { PretrainItem } from './sources.js';

/** The pretraining crop: always, area fraction in [0.67, 1], aspect ratio in [3/4, 4/3]. */
export const PRETRAIN_CROP: Readonly<CropOptions> = Object.freeze({ p: 1, scale: [0.67, 1] as const, ratio: [3 / 4, 4 / 3] as const });

/**
 * Which random flips pretraining applies: horizontal and vertical (`hv`), horizontal only (`h`, as SimMIM: an
 * ultrasound scan flipped vertically has its probe at the bottom) or `none`; each flip with probability ½.
 */
export type Flips = 'hv' | 'h' | 'none';

/** The flip probabilities of each choice (PretrainSampleOptions' hflip / vflip). */
export const FLIP_PROBABILITIES: Readonly<Record<Flips, { readonly hflip: number; readonly vflip: number }>> = {
  hv: { hflip: 0.5, vflip: 0.5 }, h: { hflip: 0.5, vflip: 0 }, none: { hflip: 0, vflip: 0 },
};

/** Decodes one item to an 8-bit raster (1 or 3 channels). */
export type DecodeItem = (item: PretrainItem) => Promise<RasterImage>;

export interface PretrainSampleOptions {
  /** Output side S. */
  readonly imgSize: number;
  /** Per-sample RNG (the loader passes one per draw). */
  readonly rng: Rng;
  /** Random resized crop; default PRETRAIN_CROP; null = plain resize. */
  readonly crop?: CropOptions | null;
  /** Probability of a horizontal flip. Default 0.5. */
  readonly hflip?: number;
  /** Probability of a vertical flip. Default 0.5. */
  readonly vflip?: number;
  /** Normalisation (default ImageNet). */
  readonly mean?: Triple;
  readonly std?: Triple;
  /** Decoder; default `decodeItem`. */
  readonly decode?: DecodeItem;
}

/** Default decoder: the file (its first frame for a DICOM), or frame `item.frame` of a multi-frame DICOM. */
export async function decodeItem(item: PretrainItem): Promise<RasterImage> {
  if (item.frame === undefined) return decodeImage(item.path);
  return (await decodeFrames(item.path, item.frame))[0]!;
}

/** Load one pretraining image: float32 [3, S, S], normalised; see the module notes. */
export async function pretrainSample(item: PretrainItem, opts: PretrainSampleOptions): Promise<Sample> {
  const size = opts.imgSize;
  if (!Number.isInteger(size) || size < 1) throw new Error(`pretrainSample: imgSize must be a positive integer, got ${size}`);
  const image = await (opts.decode ?? decodeItem)(item);
  const crop = opts.crop === undefined ? PRETRAIN_CROP : opts.crop;
  const aug = augmentSample(image, undefined, size, opts.rng, {
    crop, hflip: opts.hflip ?? 0.5, vflip: opts.vflip ?? 0.5, rot90: 0, jitter: null,
  });
  const norm: { mean?: Triple; std?: Triple } = {};
  if (opts.mean) norm.mean = opts.mean;
  if (opts.std) norm.std = opts.std;
  return { image: imageToTensor(aug.image, size, norm) };
}

/** A `BatchLoader` load function for pretraining items. */
export function pretrainLoad(opts: Omit<PretrainSampleOptions, 'rng'>): LoadFn<PretrainItem> {
  return (item, rng) => pretrainSample(item, { ...opts, rng });
}
