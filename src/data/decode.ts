/**
 * Image file → 8-bit raster, via sharp (libvips): PNG, JPEG, TIFF, WebP, GIF, AVIF/HEIF …
 * Grayscale sources stay 1 channel, everything else becomes RGB; alpha is dropped, palettes
 * are expanded, 16-bit samples are scaled to 8 bits as round(v·255/65535) (PIL instead clips
 * 16-bit grayscale and keeps the high byte of 16-bit RGB). EXIF orientation is ignored, as
 * PIL's Image.open ignores it.
 *
 * DICOM files are recognised by their content (not their name) and decoded by ./dicom:
 * `decodeImage` returns the first frame, `decodeFrames` any or all of them.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { decodeDicom, isDicom } from './dicom/index.js';
import type { RasterImage } from './image.js';

export interface DecodedImage extends RasterImage {
  readonly channels: 1 | 3;
}

function errorMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim();
}

function fsProblem(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, not an image file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot read file (${errorMessage(e)})`;
}

/** 16-bit samples (native-endian ushort bytes) → 8-bit, v → round(v * 255 / 65535). */
function scale16To8(raw: Buffer, n: number): Uint8Array {
  if (raw.byteLength !== n * 2) throw new Error('decoded size mismatch');
  const copy = new Uint8Array(raw); // realign: the Buffer may sit at an odd offset
  const src = new Uint16Array(copy.buffer, 0, n);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor((src[i]! * 255 + 32767) / 65535);
  return out;
}

/** Which frames to decode: 'all', or one index counted from 0. */
export type FrameSelection = 'all' | number;

/** Decode an in-memory encoded image (the first frame of a DICOM); `name` is used in error messages. */
export async function decodeImageBuffer(buf: Uint8Array, name = '<buffer>'): Promise<DecodedImage> {
  if (buf.length === 0) throw new Error(`${name}: empty file`);
  if (isDicom(buf)) return (await decodeDicom(buf, name, { frames: 0 }))[0]!;
  return decodeRaster(buf, name);
}

async function decodeRaster(buf: Uint8Array, name: string): Promise<DecodedImage> {
  try {
    const meta = await sharp(buf).metadata();
    // Palette images are expanded to RGB even when the palette is gray (PIL: P → RGB).
    const gray = !meta.isPalette && (meta.channels === 1 || meta.channels === 2);
    const wide = meta.depth === 'ushort';
    const { data, info } = await sharp(buf)
      .removeAlpha()
      .toColourspace(wide ? (gray ? 'grey16' : 'rgb16') : gray ? 'b-w' : 'srgb')
      .raw({ depth: wide ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels !== 1 && channels !== 3) throw new Error(`unexpected ${channels} channels after conversion`);
    const n = info.width * info.height * channels;
    const bytes = wide ? scale16To8(data, n) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.length !== n) throw new Error('decoded size mismatch');
    return { width: info.width, height: info.height, channels, data: bytes };
  } catch (e) {
    throw new Error(`${name}: cannot decode image (${errorMessage(e)})`);
  }
}

/**
 * Decode the requested frames of an in-memory image: every frame of a multi-frame DICOM, or one
 * of them; other formats have exactly one frame (frame 0).
 */
export async function decodeFramesBuffer(buf: Uint8Array, name: string, frames: FrameSelection = 'all'): Promise<DecodedImage[]> {
  if (buf.length === 0) throw new Error(`${name}: empty file`);
  if (isDicom(buf)) return decodeDicom(buf, name, { frames });
  if (frames !== 'all' && frames !== 0) {
    if (!Number.isInteger(frames) || frames < 0) throw new Error(`${name}: invalid frame index ${frames}`);
    throw new Error(`${name}: frame ${frames} requested but the file has 1 frame (frames count from 0)`);
  }
  return [await decodeRaster(buf, name)];
}

async function readImageFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new Error(`${path}: ${fsProblem(e)}`);
  }
}

/** Read and decode an image file (the first frame of a DICOM). Errors are one line starting with the file name. */
export async function decodeImage(path: string): Promise<DecodedImage> {
  return decodeImageBuffer(await readImageFile(path), path);
}

/** Read an image file and decode the requested frames ('all' by default; DICOM may have many). */
export async function decodeFrames(path: string, frames: FrameSelection = 'all'): Promise<DecodedImage[]> {
  return decodeFramesBuffer(await readImageFile(path), path, frames);
}

