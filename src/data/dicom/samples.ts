/**
 * Stored bytes of one frame → stored pixel values: byte order, Bits Stored / High Bit masking,
 * two's-complement sign extension (Pixel Representation 1), planar → pixel-interleaved order,
 * and YBR_FULL_422 chroma upsampling.
 */

/** Pixel values, pixel-interleaved (HWC). Uint8Array is used when values are plain bytes. */
import type { DicomImage } from './parse.js';
export type Samples = Uint8Array | Int32Array | Float64Array;

export interface SampleLayout {
  readonly pixels: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  readonly signed: boolean;
  readonly littleEndian: boolean;
  /** Planar Configuration 1: all of sample 0, then all of sample 1, … */
  readonly planar: boolean;
}

/** The sample layout of one frame of `img`. */
export function frameLayout(
  img: Pick<DicomImage, 'rows' | 'columns' | 'samplesPerPixel' | 'bitsAllocated' | 'bitsStored' | 'highBit' | 'signed'>, littleEndian: boolean, planar: boolean,
): SampleLayout {
  const { samplesPerPixel, bitsAllocated, bitsStored, highBit, signed } = img;
  return { pixels: img.rows * img.columns, samplesPerPixel, bitsAllocated, bitsStored, highBit, signed, littleEndian, planar };
}

/** Reorder planar samples (RRR…GGG…BBB…) to interleaved (RGBRGB…). */
function interleave<T extends Samples>(src: T, pixels: number, spp: number, make: (n: number) => T): T {
  const out = make(src.length);
  for (let s = 0; s < spp; s++) {
    for (let p = 0, o = s, i = s * pixels; p < pixels; p++, o += spp, i++) out[o] = src[i]!;
  }
  return out;
}

/** Decode stored values from `bytes` (at least pixels × samples × bitsAllocated / 8 of them). */
export function storedValues(bytes: Uint8Array, l: SampleLayout): Samples {
  const n = l.pixels * l.samplesPerPixel;
  const plain = l.bitsAllocated === 8 && l.bitsStored === 8 && !l.signed;
  const shift = l.highBit + 1 - l.bitsStored;
  const mask = l.bitsStored >= 32 ? 0xffffffff : 2 ** l.bitsStored - 1;
  const signBit = 2 ** (l.bitsStored - 1);
  let out: Samples;
  if (plain) {
    out = bytes.subarray(0, n);
  } else if (l.bitsAllocated === 8 || l.bitsAllocated === 16) {
    const values = new Int32Array(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const wide = l.bitsAllocated === 16;
    for (let i = 0; i < n; i++) {
      const raw = wide ? view.getUint16(2 * i, l.littleEndian) : bytes[i]!;
      const v = (raw >> shift) & mask;
      values[i] = l.signed && v & signBit ? v - 2 * signBit : v;
    }
    out = values;
  } else if (l.bitsAllocated === 32) {
    const values = new Float64Array(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) {
      const v = Math.floor(view.getUint32(4 * i, l.littleEndian) / 2 ** shift) % (mask + 1);
      values[i] = l.signed && v >= signBit ? v - 2 * signBit : v;
    }
    out = values;
  } else {
    throw new Error(`Bits Allocated ${l.bitsAllocated} is not supported (only 8, 16 and 32)`);
  }
  if (!l.planar || l.samplesPerPixel === 1) return out;
  if (out instanceof Uint8Array) return interleave(out, l.pixels, l.samplesPerPixel, (k) => new Uint8Array(k));
  if (out instanceof Int32Array) return interleave(out, l.pixels, l.samplesPerPixel, (k) => new Int32Array(k));
  return interleave(out, l.pixels, l.samplesPerPixel, (k) => new Float64Array(k));
}

/**
 * Upsample YBR_FULL_422 (each pair of pixels in a row stored as Y0 Y1 Cb Cr) to full YBR_FULL
 * samples, three per pixel. Columns must be even.
 */
export function upsampleYbr422(src: Samples, pixels: number): Samples {
  if (pixels % 2 !== 0) throw new Error('YBR_FULL_422 needs an even number of pixels per row');
  const out = src instanceof Uint8Array ? new Uint8Array(pixels * 3) : new Float64Array(pixels * 3);
  for (let p = 0, i = 0, o = 0; p < pixels; p += 2, i += 4, o += 6) {
    const cb = src[i + 2]!;
    const cr = src[i + 3]!;
    out[o] = src[i]!;
    out[o + 1] = cb;
    out[o + 2] = cr;
    out[o + 3] = src[i + 1]!;
    out[o + 4] = cb;
    out[o + 5] = cr;
  }
  return out;
}
