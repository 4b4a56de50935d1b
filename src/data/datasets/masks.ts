/**
 * Decoded segmentation mask → per-pixel class labels (Uint8Array, row-major, width·height).
 *
 * - 'binary': 0/1 and 0/255 masks map exactly to 0/1. Anything else with foreground near
 *   255 (JPEG noise, resized edges) is thresholded at 128 (v ≥ 128 → 1) with a warning;
 *   a mask whose values are all below 128 but not just 0/1 looks like an index mask and is
 *   an error, as is one with more than 10 % of pixels far from both 0 and 255.
 *   RGB masks use the brightest channel (a coloured overlay counts as foreground).
 * - 'index': values are class ids. RGB masks must have equal channels. With `numClasses`,
 *   any id ≥ numClasses is an error.
 * Errors are one line starting with the mask's name.
 */
import type { RasterImage } from '../image.js';
import { checkRaster } from '../image.js';

export type MaskMode = 'binary' | 'index';

export interface MaskOptions {
  /** Name for messages, usually the file path (default 'mask'). */
  readonly name?: string;
  /** 'index' mode: ids must be below this. */
  readonly numClasses?: number;
}

export interface MaskLabels {
  readonly width: number;
  readonly height: number;
  /** width·height class ids. */
  readonly labels: Uint8Array;
  /** Non-fatal findings (thresholded noise), one line each. */
  readonly warnings: readonly string[];
}

/** Pixels whose value lies in this band count as far from both 0 and 255. */
const AMBIGUOUS_LOW = 32;
const AMBIGUOUS_HIGH = 224;
const MAX_AMBIGUOUS_FRACTION = 0.1;

/** One value per pixel: the gray value, or per mode the max channel / the (equal) channels. */
function singleChannel(mask: RasterImage, mode: MaskMode, name: string): Uint8Array {
  const { width, height, channels, data } = mask;
  if (channels === 1) return data;
  if (channels !== 3) throw new Error(`${name}: mask must have 1 or 3 channels, got ${channels}`);
  const n = width * height;
  const out = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const r = data[j]!;
    const g = data[j + 1]!;
    const b = data[j + 2]!;
    if (mode === 'index' && (r !== g || g !== b)) {
      const x = i % width;
      const y = (i - x) / width;
      throw new Error(`${name}: RGB index mask needs equal channels, pixel (${x}, ${y}) is (${r}, ${g}, ${b})`);
    }
    out[i] = Math.max(r, g, b);
  }
  return out;
}

function binaryLabels(values: Uint8Array, name: string, warnings: string[]): Uint8Array {
  const hist = new Uint32Array(256);
  for (let i = 0; i < values.length; i++) hist[values[i]!]!++;
  const n = values.length;
  const others = n - hist[0]! - hist[1]! - hist[255]!;
  const out = new Uint8Array(n);
  if (others === 0 && hist[1] === 0) {
    for (let i = 0; i < n; i++) out[i] = values[i] === 255 ? 1 : 0;
    return out;
  }
  if (others === 0 && hist[255] === 0) {
    out.set(values);
    return out;
  }
  let max = 255;
  while (hist[max] === 0) max--;
  if (max < 128) {
    throw new Error(`${name}: not a binary mask, values 0..${max} (not just 0/1 or 0/255); use mode 'index' for class ids`);
  }
  let ambiguous = 0;
  for (let v = AMBIGUOUS_LOW; v < AMBIGUOUS_HIGH; v++) ambiguous += hist[v]!;
  if (ambiguous > MAX_AMBIGUOUS_FRACTION * n) {
    const pct = ((100 * ambiguous) / n).toFixed(1);
    throw new Error(`${name}: not a binary mask, ${pct}% of pixels lie between ${AMBIGUOUS_LOW} and ${AMBIGUOUS_HIGH - 1}`);
  }
  for (let i = 0; i < n; i++) out[i] = values[i]! >= 128 ? 1 : 0;
  const noisy = others + (hist[1]! > 0 && hist[255]! > 0 ? hist[1]! : 0);
  warnings.push(`${name}: ${noisy} pixel(s) not 0/255 (${((100 * noisy) / n).toFixed(2)}%), thresholded at 128`);
  return out;
}

/** Converts a decoded mask (1 or 3 channels, 8-bit) to per-pixel labels; see the module notes. */
export function maskToLabels(mask: RasterImage, mode: MaskMode, opts: MaskOptions = {}): MaskLabels {
  const name = opts.name ?? 'mask';
  if (mode !== 'binary' && mode !== 'index') throw new Error(`${name}: mask mode must be 'binary' or 'index', got '${String(mode)}'`);
  checkRaster(mask, name);
  const values = singleChannel(mask, mode, name);
  const warnings: string[] = [];
  const { width, height } = mask;
  if (mode === 'binary') return { width, height, labels: binaryLabels(values, name, warnings), warnings };
  const labels = values === mask.data ? new Uint8Array(values) : values;
  const k = opts.numClasses;
  if (k !== undefined) {
    if (!Number.isInteger(k) || k < 1 || k > 256) throw new Error(`${name}: numClasses must be an integer in 1..256, got ${k}`);
    for (let i = 0; i < labels.length; i++) {
      if (labels[i]! >= k) {
        const x = i % width;
        throw new Error(`${name}: class id ${labels[i]} at pixel (${x}, ${(i - x) / width}) is not below numClasses ${k}`);
      }
    }
  }
  return { width, height, labels, warnings };
}
