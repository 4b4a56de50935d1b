/**
 * DICOM images (ultrasound first) → 8-bit rasters, one per frame.
 *
 * Transfer syntaxes: implicit/explicit VR little endian, explicit VR big endian, deflated
 * explicit VR little endian, encapsulated uncompressed, RLE lossless, JPEG baseline/extended
 * (8-bit), JPEG lossless (processes 14 and 14 SV1), JPEG-LS lossless/near-lossless, and JPEG 2000
 * (lossless and lossy). Photometric interpretations: MONOCHROME1/2, PALETTE COLOR (standard and
 * segmented LUTs), RGB, YBR_FULL, YBR_FULL_422, and YBR_ICT/YBR_RCT/YBR_PARTIAL_* where the codec
 * returns RGB. How values become 8-bit (rescale, window, min–max) is described in ./pixel.ts.
 *
 * Frames are numbered from 0. Errors are one line starting with the file name.
 */
import type { DecodedImage } from '../decode.js';
import { decodeEncapsulated } from './codecs.js';
import { encapsulatedFrame, nativeFrame } from './frames.js';
import { parseDicomImage, type DicomImage } from './parse.js';
import { renderFrame, type FrameSamples } from './pixel.js';
import { frameLayout, storedValues, upsampleYbr422 } from './samples.js';

export { isDicom } from './parse.js';
export type { DicomImage } from './parse.js';

export interface DecodeDicomOptions {
  /** 'all' (default) or one frame index, counted from 0. */
  readonly frames?: 'all' | number;
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}

function frameList(img: DicomImage, frames: 'all' | number, name: string): number[] {
  if (frames === 'all') return Array.from({ length: img.frames }, (_, i) => i);
  if (!Number.isInteger(frames) || frames < 0) throw new Error(`${name}: invalid frame index ${frames}`);
  if (frames >= img.frames) {
    const have = img.frames === 1 ? '1 frame' : `${img.frames} frames`;
    throw new Error(`${name}: frame ${frames} requested but the file has ${have} (frames count from 0)`);
  }
  return [frames];
}

function checkSupported(img: DicomImage, name: string): void {
  const { syntax } = img;
  if (!syntax.encoding) throw new Error(`${name}: unsupported transfer syntax ${syntax.uid} (${syntax.name})`);
  const encapsulated = img.pixel.kind === 'encapsulated';
  if (encapsulated !== (syntax.encoding !== 'native')) {
    const how = encapsulated ? 'encapsulated' : 'native';
    throw new Error(`${name}: ${how} pixel data does not match transfer syntax ${syntax.uid} (${syntax.name})`);
  }
  if (![8, 16, 32].includes(img.bitsAllocated)) {
    throw new Error(`${name}: Bits Allocated ${img.bitsAllocated} is not supported (only 8, 16 and 32)`);
  }
  if (img.samplesPerPixel !== 1 && img.samplesPerPixel !== 3) {
    throw new Error(`${name}: ${img.samplesPerPixel} samples per pixel are not supported (only 1 and 3)`);
  }
}

function nativeSamples(img: DicomImage, index: number, name: string): FrameSamples {
  const bytes = nativeFrame(img, index, name);
  const pixels = img.rows * img.columns;
  const layout = frameLayout(img, img.syntax.littleEndian, img.planar);
  if (img.photometric === 'YBR_FULL_422' && img.samplesPerPixel === 3) {
    if (img.columns % 2 !== 0) throw new Error(`YBR_FULL_422 needs an even number of columns, got ${img.columns}`);
    const packed = storedValues(bytes, { ...layout, pixels: pixels / 2, samplesPerPixel: 4, planar: false });
    return { values: upsampleYbr422(packed, pixels), photometric: 'YBR_FULL', samplesPerPixel: 3 };
  }
  return { values: storedValues(bytes, layout), photometric: img.photometric, samplesPerPixel: img.samplesPerPixel };
}

/** Decode frame `index` of a parsed image. */
export async function decodeDicomFrame(img: DicomImage, index: number, name: string): Promise<DecodedImage> {
  try {
    const samples =
      img.pixel.kind === 'native'
        ? nativeSamples(img, index, name)
        : await decodeEncapsulated(encapsulatedFrame(img, index), img);
    return renderFrame(img, samples);
  } catch (e) {
    const msg = oneLine(e);
    if (msg.startsWith(`${name}: `)) throw e;
    const where = img.frames > 1 ? `frame ${index}: ` : '';
    throw new Error(`${name}: ${where}${msg}`);
  }
}

/**
 * Decode a DICOM file held in memory: one 8-bit raster per requested frame (all by default).
 * Grayscale stays one channel; colour becomes RGB. `name` is used in error messages.
 */
export async function decodeDicom(buf: Uint8Array, name: string, opts: DecodeDicomOptions = {}): Promise<DecodedImage[]> {
  const img = await parseDicomImage(buf, name);
  checkSupported(img, name);
  const out: DecodedImage[] = [];
  for (const i of frameList(img, opts.frames ?? 'all', name)) out.push(await decodeDicomFrame(img, i, name));
  return out;
}

/** Parse only the header: size, frame count, photometric interpretation, transfer syntax. */
export async function readDicomHeader(buf: Uint8Array, name: string): Promise<DicomImage> {
  return parseDicomImage(buf, name);
}
