/**
 * Seeded augmentations of 8-bit rasters for fine-tuning. Geometric transforms are applied
 * identically to an optional mask raster (any channel count, e.g. a 1-channel label map);
 * photometric jitter touches the image only.
 *
 * Pipeline (`augmentSample`), in the official USFM segmentation order:
 *   1. random resized crop to S×S (if enabled and drawn), else resize to S×S —
 *      image bicubic (Pillow-exact `resize`), mask nearest;
 *   2. horizontal flip, vertical flip, rot90 (k uniform in 0..3 when drawn, as
 *      albumentations' RandomRotate90);
 *   3. brightness / contrast jitter (image only).
 * Every random draw comes from the `Rng` passed in, in a fixed order, so a per-sample RNG
 * (`sampleRng(seed, epoch, index)`) makes the result independent of load order or concurrency.
 */
import { Rng } from '../../core/random.js';
import type { RasterImage } from '../image.js';
import { checkRaster } from '../image.js';
import { resize } from '../resize.js';

/** Random resized crop, as torchvision's RandomResizedCrop. */
export interface CropOptions {
  /** Probability of cropping (otherwise plain resize). Default 1. */
  readonly p?: number;
  /** Range of the crop area as a fraction of the image area. Default [0.08, 1]. */
  readonly scale?: readonly [number, number];
  /** Range of the crop aspect ratio w/h, sampled log-uniformly. Default [3/4, 4/3]. */
  readonly ratio?: readonly [number, number];
}

/** Brightness / contrast jitter (image only), as torchvision's ColorJitter. */
export interface JitterOptions {
  /** Probability of jittering. Default 1. */
  readonly p?: number;
  /** Brightness factor drawn from [1 - b, 1 + b]. Default 0.1. */
  readonly brightness?: number;
  /** Contrast factor drawn from [1 - c, 1 + c]. Default 0.1. */
  readonly contrast?: number;
}

export interface AugmentOptions {
  /** Probability of a horizontal flip. Default 0.5. */
  readonly hflip?: number;
  /** Probability of a vertical flip. Default 0.5. */
  readonly vflip?: number;
  /** Probability of a rot90 by k ∈ {0,1,2,3} (uniform). Default 0.5. */
  readonly rot90?: number;
  /** Random resized crop; absent/null = none (default). */
  readonly crop?: CropOptions | null;
  /** Brightness/contrast jitter; absent/null = none (default). */
  readonly jitter?: JitterOptions | null;
}

/** The official segmentation defaults: rot90 .5, hflip .5, vflip .5, no crop, no jitter. */
export const DEFAULT_AUGMENT: Readonly<AugmentOptions> = Object.freeze({ hflip: 0.5, vflip: 0.5, rot90: 0.5 });

/** No augmentation at all (evaluation): resize only. */
export const NO_AUGMENT: Readonly<AugmentOptions> = Object.freeze({ hflip: 0, vflip: 0, rot90: 0 });

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit seed for sample `index` of epoch `epoch`, well mixed from all three inputs. */
export function sampleSeed(seed: number, epoch: number, index: number): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  h = fmix32((h + Math.imul((epoch >>> 0) + 1, 0x85ebca77)) >>> 0);
  h = fmix32((h + Math.imul((index >>> 0) + 1, 0xc2b2ae3d)) >>> 0);
  return h;
}

/** The per-sample RNG for (seed, epoch, index). */
export function sampleRng(seed: number, epoch: number, index: number): Rng {
  return new Rng(sampleSeed(seed, epoch, index));
}

/** Mirror left ↔ right. */
export function hflip(img: RasterImage): RasterImage {
  const { width: w, height: h, channels: c, data } = img;
  const out = new Uint8Array(data.length);
  const row = w * c;
  for (let y = 0; y < h; y++) {
    const base = y * row;
    for (let x = 0; x < w; x++) {
      const s = base + x * c;
      const d = base + (w - 1 - x) * c;
      for (let k = 0; k < c; k++) out[d + k] = data[s + k]!;
    }
  }
  return { width: w, height: h, channels: c, data: out };
}

/** Mirror top ↔ bottom. */
export function vflip(img: RasterImage): RasterImage {
  const { width: w, height: h, channels: c, data } = img;
  const out = new Uint8Array(data.length);
  const row = w * c;
  for (let y = 0; y < h; y++) out.set(data.subarray(y * row, (y + 1) * row), (h - 1 - y) * row);
  return { width: w, height: h, channels: c, data: out };
}

/** Rotate by k·90° counter-clockwise (as numpy's rot90); width and height swap for odd k. */
export function rot90(img: RasterImage, k: number): RasterImage {
  const q = ((Math.trunc(k) % 4) + 4) % 4;
  if (q === 0) return img;
  if (q === 2) return hflip(vflip(img));
  const { width: w, height: h, channels: c, data } = img;
  // Output is h wide and w high; out(x, y) = in(w-1-y, x) for k=1, in(y, h-1-x) for k=3.
  const out = new Uint8Array(data.length);
  let o = 0;
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < h; x++, o += c) {
      const s = q === 1 ? (x * w + (w - 1 - y)) * c : ((h - 1 - x) * w + y) * c;
      for (let j = 0; j < c; j++) out[o + j] = data[s + j]!;
    }
  }
  return { width: h, height: w, channels: c, data: out };
}

/** Copy the region [x, x+w) × [y, y+h); it must lie inside the image. */
export function cropRaster(img: RasterImage, x: number, y: number, w: number, h: number): RasterImage {
  if (!(Number.isInteger(x) && Number.isInteger(y) && Number.isInteger(w) && Number.isInteger(h))
    || x < 0 || y < 0 || w < 1 || h < 1 || x + w > img.width || y + h > img.height) {
    throw new Error(`cropRaster: region ${w}x${h}+${x}+${y} is outside the ${img.width}x${img.height} image`);
  }
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  const row = w * c;
  for (let r = 0; r < h; r++) {
    const s = ((y + r) * img.width + x) * c;
    out.set(img.data.subarray(s, s + row), r * row);
  }
  return { width: w, height: h, channels: c, data: out };
}

export interface CropBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * A random crop box for a `width`×`height` image, drawn as torchvision's RandomResizedCrop
 * does: up to 10 tries of (area fraction uniform in `scale`, log-uniform aspect ratio in
 * `ratio`), then a centre crop clamped to the ratio range.
 */
export function randomCropBox(
  rng: Rng, width: number, height: number,
  scale: readonly [number, number] = [0.08, 1], ratio: readonly [number, number] = [3 / 4, 4 / 3],
): CropBox {
  const [s0, s1] = scale;
  const [r0, r1] = ratio;
  if (!(s0 > 0 && s0 <= s1 && s1 <= 1)) throw new Error(`randomCropBox: invalid scale range [${s0}, ${s1}]`);
  if (!(r0 > 0 && r0 <= r1)) throw new Error(`randomCropBox: invalid ratio range [${r0}, ${r1}]`);
  const area = width * height;
  const l0 = Math.log(r0);
  const l1 = Math.log(r1);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (s0 + (s1 - s0) * rng.next());
    const aspect = Math.exp(l0 + (l1 - l0) * rng.next());
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { x: rng.int(width - w + 1), y: rng.int(height - h + 1), width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < r0) h = Math.max(1, Math.round(w / r0));
  else if (inRatio > r1) w = Math.max(1, Math.round(h * r1));
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

/**
 * Brightness then contrast: v·b, then blend with the mean luma (0.299 R + 0.587 G + 0.114 B
 * for RGB) by factor c; rounded and clipped to 0..255.
 */
export function jitterRaster(img: RasterImage, brightness: number, contrast: number): RasterImage {
  const { channels: c, data } = img;
  const n = img.width * img.height;
  const lut = new Float64Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.min(255, Math.max(0, v * brightness));
  let sum = 0;
  if (c === 3) {
    for (let i = 0, j = 0; i < n; i++, j += 3) sum += 0.299 * lut[data[j]!]! + 0.587 * lut[data[j + 1]!]! + 0.114 * lut[data[j + 2]!]!;
  } else {
    for (let i = 0; i < data.length; i++) sum += lut[data[i]!]!;
    sum /= c;
  }
  const mean = sum / n;
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) table[v] = Math.round(Math.min(255, Math.max(0, contrast * lut[v]! + (1 - contrast) * mean)));
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = table[data[i]!]!;
  return { width: img.width, height: img.height, channels: c, data: out };
}

function checkP(p: number, what: string): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`augment: ${what} probability must be in [0, 1], got ${p}`);
  return p;
}

export interface AugmentedPair {
  readonly image: RasterImage;
  readonly mask?: RasterImage;
}

/**
 * Augment an image (and its mask, transformed identically) to `size`×`size`; see the module
 * notes for the order. Draws from `rng` in a fixed order whatever is enabled, so changing one
 * probability does not reshuffle the others.
 */
export function augmentSample(
  image: RasterImage, mask: RasterImage | undefined, size: number, rng: Rng, opts: AugmentOptions = DEFAULT_AUGMENT,
): AugmentedPair {
  checkRaster(image, 'augment image');
  if (!Number.isInteger(size) || size < 1) throw new Error(`augment: invalid output size ${size}`);
  if (mask !== undefined) {
    checkRaster(mask, 'augment mask');
    if (mask.width !== image.width || mask.height !== image.height) {
      throw new Error(`augment: mask is ${mask.width}x${mask.height} but image is ${image.width}x${image.height}`);
    }
  }
  const pCrop = opts.crop ? checkP(opts.crop.p ?? 1, 'crop') : 0;
  const pH = checkP(opts.hflip ?? 0.5, 'hflip');
  const pV = checkP(opts.vflip ?? 0.5, 'vflip');
  const pR = checkP(opts.rot90 ?? 0.5, 'rot90');
  const pJ = opts.jitter ? checkP(opts.jitter.p ?? 1, 'jitter') : 0;

  let img = image;
  let msk = mask;
  const cropDraw = rng.next();
  if (opts.crop && cropDraw < pCrop) {
    const b = randomCropBox(rng, img.width, img.height, opts.crop.scale, opts.crop.ratio);
    img = cropRaster(img, b.x, b.y, b.width, b.height);
    if (msk) msk = cropRaster(msk, b.x, b.y, b.width, b.height);
  }
  if (img.width !== size || img.height !== size) {
    img = resize(img, size, size, 'bicubic');
    if (msk) msk = resize(msk, size, size, 'nearest');
  }
  const geo = (f: (r: RasterImage) => RasterImage): void => {
    img = f(img);
    if (msk) msk = f(msk);
  };
  if (rng.next() < pH) geo(hflip);
  if (rng.next() < pV) geo(vflip);
  const rotDraw = rng.next();
  const k = rng.int(4);
  if (rotDraw < pR && k !== 0) geo((r) => rot90(r, k));
  const jitterDraw = rng.next();
  const bDraw = rng.next();
  const cDraw = rng.next();
  if (opts.jitter && jitterDraw < pJ) {
    const b = opts.jitter.brightness ?? 0.1;
    const c = opts.jitter.contrast ?? 0.1;
    if (!(b >= 0 && b < 1 && c >= 0 && c < 1)) throw new Error(`augment: jitter brightness/contrast must be in [0, 1), got ${b}/${c}`);
    img = jitterRaster(img, 1 - b + 2 * b * bDraw, 1 - c + 2 * c * cDraw);
  }
  return msk === undefined ? { image: img } : { image: img, mask: msk };
}
