/**
 * Sample loaders for the fine-tuning datasets: decode → augment (resize to S×S, flips,
 * rot90, …; masks transformed identically with nearest resampling) → normalise.
 * Grayscale images stay 1 channel through resizing and augmentation (per-channel work, so
 * the result equals converting to RGB first) and are replicated to 3 channels when normalised.
 */
import type { Rng } from '../../core/random.js';
import type { ClsItem } from '../datasets/cls.js';
import type { MaskMode } from '../datasets/masks.js';
import { maskToLabels } from '../datasets/masks.js';
import type { SegItem } from '../datasets/seg.js';
import { decodeImage } from '../decode.js';
import type { Triple } from '../preprocess.js';
import { imageToTensor } from '../preprocess.js';
import type { AugmentOptions } from './augment.js';
import { augmentSample, DEFAULT_AUGMENT, NO_AUGMENT } from './augment.js';
import type { LoadFn, Sample } from './loader.js';

export interface SampleOptions {
  /** Output side S (images are resized to S×S). */
  readonly size: number;
  /** Per-sample RNG (the loader passes one derived from seed, epoch, index). */
  readonly rng: Rng;
  /** Augmentations; default DEFAULT_AUGMENT (official seg pipeline); `false` = resize only. */
  readonly augment?: AugmentOptions | false;
  /** Normalisation (default ImageNet). */
  readonly mean?: Triple;
  readonly std?: Triple;
  /** Mask conversion mode (seg only). Default 'binary'. */
  readonly maskMode?: MaskMode;
  /** 'index' mode: ids must be below this. */
  readonly numClasses?: number;
  /** Receives non-fatal findings (e.g. thresholded mask noise). */
  readonly onWarning?: (msg: string) => void;
}

function augOpts(a: AugmentOptions | false | undefined): AugmentOptions {
  return a === false ? NO_AUGMENT : (a ?? DEFAULT_AUGMENT);
}

function normOpts(opts: SampleOptions): { mean?: Triple; std?: Triple } {
  const out: { mean?: Triple; std?: Triple } = {};
  if (opts.mean) out.mean = opts.mean;
  if (opts.std) out.std = opts.std;
  return out;
}

/** Load a segmentation pair: image → float32 [3, S, S], mask → S·S class ids. */
export async function segSample(item: SegItem, opts: SampleOptions): Promise<Sample> {
  const [image, maskImg] = await Promise.all([decodeImage(item.image), decodeImage(item.mask)]);
  if (maskImg.width !== image.width || maskImg.height !== image.height) {
    throw new Error(`${item.mask}: mask is ${maskImg.width}x${maskImg.height} but its image is ${image.width}x${image.height}`);
  }
  const conv = maskToLabels(maskImg, opts.maskMode ?? 'binary', opts.numClasses === undefined
    ? { name: item.mask }
    : { name: item.mask, numClasses: opts.numClasses });
  for (const w of conv.warnings) opts.onWarning?.(w);
  const labels = { width: conv.width, height: conv.height, channels: 1, data: conv.labels };
  const aug = augmentSample(image, labels, opts.size, opts.rng, augOpts(opts.augment));
  return { image: imageToTensor(aug.image, opts.size, normOpts(opts)), mask: aug.mask!.data };
}

/** Load a classification image: float32 [3, S, S] and its label. */
export async function clsSample(item: ClsItem, opts: SampleOptions): Promise<Sample> {
  const image = await decodeImage(item.path);
  const aug = augmentSample(image, undefined, opts.size, opts.rng, augOpts(opts.augment));
  return { image: imageToTensor(aug.image, opts.size, normOpts(opts)), label: item.label };
}

/**
 * Mask decoding for a segmentation model with `classes` classes: binary masks (0/255 or 0/1, as HC18)
 * for 2 classes, class-index PNGs (values 0 … classes − 1) otherwise.
 */
export function segMaskOptions(classes: number): Pick<SampleOptions, 'maskMode' | 'numClasses'> {
  if (!Number.isInteger(classes) || classes < 2 || classes > 256) throw new Error(`segmentation needs 2 to 256 classes, got ${classes}`);
  return classes === 2 ? { maskMode: 'binary' } : { maskMode: 'index', numClasses: classes };
}

/** A `BatchLoader` load function for segmentation items. */
export function segLoad(opts: Omit<SampleOptions, 'rng'>): LoadFn<SegItem> {
  return (item, rng) => segSample(item, { ...opts, rng });
}

/** A `BatchLoader` load function for classification items. */
export function clsLoad(opts: Omit<SampleOptions, 'rng'>): LoadFn<ClsItem> {
  return (item, rng) => clsSample(item, { ...opts, rng });
}
