/**
 * Stored pixel values → 8-bit raster (the DICOM grayscale and colour pipelines, PS3.3 C.11).
 *
 * Grayscale (MONOCHROME1/2, one channel out):
 *   1. Modality LUT: v·slope + intercept when Rescale Slope/Intercept are present.
 *   2. VOI: the first Window Center/Width when present (VOI LUT Function LINEAR, LINEAR_EXACT or
 *      SIGMOID) maps to 0..255. Without a window, 8-bit unsigned data without rescale is kept as is
 *      (an 8-bit ultrasound frame is already a display image; stretching it would change it), and
 *      anything else (deeper, signed or rescaled) is min–max scaled to 0..255 per frame.
 *   3. MONOCHROME1 is inverted (255 − v).
 * Colour (three channels out): RGB is kept (samples deeper than 8 bits are scaled by
 * 255 / (2^BitsStored − 1)); YBR_FULL/YBR_FULL_422 go through the ITU-R BT.601 full-range
 * conversion of C.7.6.3.1.2; PALETTE COLOR is expanded through its LUTs (indices below the first
 * mapped value take entry 0, above the table the last entry).
 */
import type { DecodedImage } from '../decode.js';
import type { DicomImage, VoiWindow } from './parse.js';
import type { Palette } from './palette.js';
import type { Samples } from './samples.js';

/** Decoded samples of one frame; `photometric` is what they are now (codecs may have made RGB). */
export interface FrameSamples {
  readonly values: Samples;
  readonly photometric: string;
  readonly samplesPerPixel: number;
}

const clamp8 = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** The VOI window function (C.11.2.1.2) as a map to 0..255. */
export function windowFn(w: VoiWindow): (x: number) => number {
  const { center: c, width } = w;
  if (w.fn === 'SIGMOID') return (x) => clamp8(255 / (1 + Math.exp((-4 * (x - c)) / width)));
  if (w.fn === 'LINEAR_EXACT') return (x) => clamp8(((x - c) / width + 0.5) * 255);
  // LINEAR: width counts from 1, and the window is centred half a step below `center`.
  const wm1 = Math.max(width - 1, 1e-9);
  const lo = c - 0.5 - wm1 / 2;
  const hi = c - 0.5 + wm1 / 2;
  return (x) => (x <= lo ? 0 : x > hi ? 255 : clamp8(((x - (c - 0.5)) / wm1 + 0.5) * 255));
}

function monochrome(img: DicomImage, values: Samples, invert: boolean): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n);
  const { slope, intercept } = img.rescale ?? { slope: 1, intercept: 0 };
  const modality = img.rescale ? (v: number) => v * slope + intercept : (v: number) => v;
  if (img.window) {
    const f = windowFn(img.window);
    for (let i = 0; i < n; i++) out[i] = f(modality(values[i]!));
  } else if (values instanceof Uint8Array && !img.rescale) {
    out.set(values);
  } else {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = modality(values[i]!);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max > min ? max - min : Infinity;
    for (let i = 0; i < n; i++) out[i] = clamp8(((modality(values[i]!) - min) * 255) / range);
  }
  if (invert) for (let i = 0; i < n; i++) out[i] = 255 - out[i]!;
  return out;
}

function palette(values: Samples, lut: Palette): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * 3);
  const last = lut.red.length - 1;
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    const k = values[i]! - lut.first;
    const j = k <= 0 ? 0 : k >= last ? last : k;
    out[o] = lut.red[j]!;
    out[o + 1] = lut.green[j]!;
    out[o + 2] = lut.blue[j]!;
  }
  return out;
}

/** Colour samples → 8 bits: plain bytes stay, deeper samples are scaled to 0..255. */
function colour8(values: Samples, bitsStored: number): Uint8Array {
  if (values instanceof Uint8Array) return new Uint8Array(values); // never alias the file buffer
  const scale = bitsStored > 8 ? 255 / (2 ** bitsStored - 1) : 1;
  return Uint8Array.from(values, (v) => clamp8(v * scale));
}

/** YCbCr (full range, 8-bit, interleaved) → RGB. */
function ybrToRgb(px: Uint8Array): Uint8Array {
  const out = new Uint8Array(px.length);
  for (let i = 0; i < px.length; i += 3) {
    const y = px[i]!;
    const cb = px[i + 1]! - 128;
    const cr = px[i + 2]! - 128;
    out[i] = clamp8(y + 1.402 * cr);
    out[i + 1] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
    out[i + 2] = clamp8(y + 1.772 * cb);
  }
  return out;
}

/** Render one frame's samples as an 8-bit raster. Throws plain messages (the caller adds the name). */
export function renderFrame(img: DicomImage, s: FrameSamples): DecodedImage {
  const { rows: height, columns: width } = img;
  const pixels = width * height;
  const expect = (spp: number): void => {
    if (s.samplesPerPixel !== spp) {
      throw new Error(`photometric ${s.photometric} needs ${spp} samples per pixel, got ${s.samplesPerPixel}`);
    }
    if (s.values.length < pixels * spp) throw new Error(`decoded frame holds ${s.values.length} samples, expected ${pixels * spp}`);
  };
  const values = s.values.length > pixels * s.samplesPerPixel ? s.values.subarray(0, pixels * s.samplesPerPixel) : s.values;
  switch (s.photometric) {
    case 'MONOCHROME1':
    case 'MONOCHROME2':
      expect(1);
      return { width, height, channels: 1, data: monochrome(img, values, s.photometric === 'MONOCHROME1') };
    case 'PALETTE COLOR':
      expect(1);
      if (!img.palette) throw new Error('PALETTE COLOR image without palette');
      return { width, height, channels: 3, data: palette(values, img.palette) };
    case 'RGB':
      expect(3);
      return { width, height, channels: 3, data: colour8(values, img.bitsStored) };
    case 'YBR_FULL':
    case 'YBR_FULL_422':
      expect(3);
      return { width, height, channels: 3, data: ybrToRgb(colour8(values, img.bitsStored)) };
    default:
      throw new Error(`unsupported photometric interpretation ${s.photometric}`);
  }
}
