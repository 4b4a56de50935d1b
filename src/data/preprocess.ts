/**
 * USFM input preprocessing, matching the official PyTorch pipeline:
 * PIL image → RGB → Resize(S×S, BICUBIC) → ToTensor (/255) → Normalize(ImageNet mean, std),
 * giving float32 CHW. Arithmetic follows torch's float32 ops exactly:
 * `((v / 255) - mean) / std` with every step rounded to float32.
 */
import type { HostTensor } from '../core/host.js';
import { hostTensor } from '../core/host.js';
import { decodeImage } from './decode.js';
import type { RasterImage } from './image.js';
import { checkRaster } from './image.js';
import type { ResampleFilter } from './resize.js';
import { resize } from './resize.js';

export type Triple = readonly [number, number, number];

/** ImageNet channel means (RGB), as used by torchvision / USFM. */
export const IMAGENET_MEAN: Triple = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (RGB). */
export const IMAGENET_STD: Triple = [0.229, 0.224, 0.225];

/** Output size: a number means S×S (USFM resizes to a square); a pair is `[height, width]`. */
export type ImageSize = number | readonly [number, number];

export interface PreprocessOptions {
  readonly mean?: Triple;
  readonly std?: Triple;
  /** Resampling filter (default 'bicubic', as the USFM pipeline). */
  readonly filter?: ResampleFilter;
}

function sizeHW(size: ImageSize): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new Error(`imageToTensor: invalid size ${String(size)}`);
  }
  return [h, w];
}

/** For each channel, the normalised float32 value of every byte value 0..255. */
function normalisationTables(mean: Triple, std: Triple): Float32Array[] {
  const fr = Math.fround;
  const tables: Float32Array[] = [];
  for (let c = 0; c < 3; c++) {
    const m = fr(mean[c]!);
    const s = fr(std[c]!);
    if (!(s !== 0 && Number.isFinite(s) && Number.isFinite(m))) throw new Error(`imageToTensor: invalid mean/std for channel ${c}`);
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = fr(fr(fr(v / 255) - m) / s);
    tables.push(t);
  }
  return tables;
}

/**
 * Resize an 8-bit image (1 or 3 channels; grayscale is replicated to RGB) and normalise it
 * to a float32 tensor of shape [3, h, w].
 */
export function imageToTensor(img: RasterImage, size: ImageSize, opts: PreprocessOptions = {}): HostTensor<'float32'> {
  checkRaster(img, 'imageToTensor');
  if (img.channels !== 1 && img.channels !== 3) {
    throw new Error(`imageToTensor: expected a 1- or 3-channel image, got ${img.channels} channels`);
  }
  const [h, w] = sizeHW(size);
  // Resizing is per channel, so resizing grayscale before replicating it equals PIL's RGB path.
  const r = img.width === w && img.height === h ? img : resize(img, w, h, opts.filter ?? 'bicubic');
  const tables = normalisationTables(opts.mean ?? IMAGENET_MEAN, opts.std ?? IMAGENET_STD);
  const plane = h * w;
  const out = new Float32Array(3 * plane);
  const src = r.data;
  const cs = r.channels;
  for (let c = 0; c < 3; c++) {
    const t = tables[c]!;
    const base = c * plane;
    const off = cs === 1 ? 0 : c;
    for (let i = 0, s = off; i < plane; i++, s += cs) out[base + i] = t[src[s]!]!;
  }
  return hostTensor('float32', [3, h, w], out);
}

/** Decode an image file and preprocess it to a float32 [3, h, w] tensor. */
export async function loadImageTensor(path: string, size: ImageSize, opts: PreprocessOptions = {}): Promise<HostTensor<'float32'>> {
  return imageToTensor(await decodeImage(path), size, opts);
}

/** Stack equally shaped [C, H, W] tensors into a [B, C, H, W] batch. */
export function stackBatch(items: readonly HostTensor<'float32'>[]): HostTensor<'float32'> {
  const first = items[0];
  if (first === undefined) throw new Error('stackBatch: empty batch');
  const shape = first.shape;
  const n = first.data.length;
  const out = new Float32Array(n * items.length);
  items.forEach((t, i) => {
    if (t.shape.length !== shape.length || t.shape.some((d, j) => d !== shape[j])) {
      throw new Error(`stackBatch: item ${i} has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
    }
    out.set(t.data, i * n);
  });
  return hostTensor('float32', [items.length, ...shape], out);
}

/** Decode and preprocess several image files into a float32 [B, 3, h, w] batch. */
export async function loadImageBatch(paths: readonly string[], size: ImageSize, opts: PreprocessOptions = {}): Promise<HostTensor<'float32'>> {
  const items = await Promise.all(paths.map((p) => loadImageTensor(p, size, opts)));
  return stackBatch(items);
}
