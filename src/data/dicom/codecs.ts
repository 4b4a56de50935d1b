/**
 * Compressed frame → samples. Codecs are imported on first use, so reading PNGs (or uncompressed
 * DICOM) never loads a WASM module:
 *   JPEG baseline/extended  sharp (libjpeg-turbo; 8-bit only; YCbCr comes out as RGB)
 *   JPEG lossless           jpeg-lossless-decoder-js
 *   JPEG-LS                 @cornerstonejs/codec-charls (CharLS, WASM)
 *   JPEG 2000               @cornerstonejs/codec-openjpeg (OpenJPEG, WASM; YBR_ICT/RCT come out as RGB)
 *   RLE                     ./rle.ts
 */
import type { CharlsModule, CodecFrameInfo, EmscriptenOptions, OpenJpegModule, WasmDecoder } from './codec_types.js';
import type { DicomImage } from './parse.js';
import type { FrameSamples } from './pixel.js';
import { decodeRleFrame } from './rle.js';
import { frameLayout, storedValues, type Samples } from './samples.js';

// OpenJPEG reports progress ('[INFO] …') on stdout; keep library output off the console. Each
// module instance needs its own options object: Emscripten uses it as the module itself.
const quiet = (): EmscriptenOptions => ({ print: () => {}, printErr: () => {} });

let openjpeg: Promise<OpenJpegModule> | undefined;
let charls: Promise<CharlsModule> | undefined;

/** What the decoders leave for the photometric pipeline: 4:2:2 is upsampled by every codec here. */
function afterCodec(photometric: string): string {
  return photometric === 'YBR_FULL_422' ? 'YBR_FULL' : photometric;
}

/** Codec output of `bits`-bit samples in bytes (1 or 2 per sample, little endian) → samples. */
function codecSamples(bytes: Uint8Array, count: number, bits: number, signed: boolean): Samples {
  const wide = bits > 8;
  return storedValues(bytes, {
    pixels: count,
    samplesPerPixel: 1,
    bitsAllocated: wide ? 16 : 8,
    bitsStored: bits,
    highBit: bits - 1,
    signed,
    littleEndian: true,
    planar: false,
  });
}

function checkSize(img: DicomImage, info: { width: number; height: number }, what: string): void {
  if (!info.width || !info.height) throw new Error(`${what} decoder failed (corrupt or unsupported codestream)`);
  if (info.width !== img.columns || info.height !== img.rows) {
    throw new Error(`${what} codestream is ${info.width}x${info.height} but the header says ${img.columns}x${img.rows}`);
  }
}

/** Run an Emscripten decoder over `frame`, copy its output out of WASM memory, free it. */
function runWasm<D extends WasmDecoder>(
  decoder: D,
  frame: Uint8Array,
  what: string,
  inspect?: (decoder: D) => void,
): { info: CodecFrameInfo; bytes: Uint8Array } {
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    decoder.decode();
    inspect?.(decoder);
    return { info: decoder.getFrameInfo(), bytes: new Uint8Array(decoder.getDecodedBuffer()) };
  } catch (e) {
    // Emscripten C++ exceptions arrive as bare numbers (pointers); say something useful instead.
    const why = e instanceof Error ? e.message.split('\n')[0] : 'corrupt or unsupported codestream';
    throw new Error(`${what} decoder failed (${why})`);
  } finally {
    decoder.delete();
  }
}

/** Pixel-interleave component planes (CharLS returns planes for interleave mode 'none'). */
function interleavePlanes(bytes: Uint8Array, pixels: number, comps: number, bytesPer: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let c = 0; c < comps; c++) {
    for (let p = 0; p < pixels; p++) {
      for (let b = 0; b < bytesPer; b++) out[(p * comps + c) * bytesPer + b] = bytes[(c * pixels + p) * bytesPer + b]!;
    }
  }
  return out;
}

async function decodeJ2k(frame: Uint8Array, img: DicomImage): Promise<FrameSamples> {
  openjpeg ??= import('@cornerstonejs/codec-openjpeg/decodewasmjs').then(
    (m) => m.default(quiet()) as Promise<OpenJpegModule>,
  );
  const mod = await openjpeg;
  const { info, bytes } = runWasm(new mod.J2KDecoder(), frame, 'JPEG 2000');
  checkSize(img, info, 'JPEG 2000');
  const count = info.width * info.height * info.componentCount;
  const values = codecSamples(bytes, count, info.bitsPerSample, info.isSigned ?? img.signed);
  // OpenJPEG applies the inverse multi-component transform, so YBR_ICT/YBR_RCT data comes out RGB.
  const photometric = img.photometric === 'YBR_ICT' || img.photometric === 'YBR_RCT' ? 'RGB' : img.photometric;
  return { values, photometric: afterCodec(photometric), samplesPerPixel: info.componentCount };
}

async function decodeJpegLs(frame: Uint8Array, img: DicomImage): Promise<FrameSamples> {
  charls ??= import('@cornerstonejs/codec-charls/decodewasmjs').then(
    (m) => m.default(quiet()) as Promise<CharlsModule>,
  );
  const mod = await charls;
  let mode = 0;
  const { info, bytes: raw } = runWasm(new mod.JpegLSDecoder(), frame, 'JPEG-LS', (d) => {
    mode = d.getInterleaveMode();
  });
  checkSize(img, info, 'JPEG-LS');
  const pixels = info.width * info.height;
  const bytesPer = info.bitsPerSample > 8 ? 2 : 1;
  const bytes = info.componentCount > 1 && mode === 0 ? interleavePlanes(raw, pixels, info.componentCount, bytesPer) : raw;
  const values = codecSamples(bytes, pixels * info.componentCount, info.bitsPerSample, img.signed);
  return { values, photometric: afterCodec(img.photometric), samplesPerPixel: info.componentCount };
}

/** Run a JavaScript decoder, turning its failures into one line naming the codec. */
async function attempt<T>(what: string, run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw new Error(`${what} decoder failed (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
}

async function decodeJpegLossless(frame: Uint8Array, img: DicomImage): Promise<FrameSamples> {
  const { Decoder } = await import('jpeg-lossless-decoder-js');
  const decoder = new Decoder();
  const out = await attempt('JPEG lossless', () => decoder.decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.length));
  checkSize(img, { width: decoder.xDim, height: decoder.yDim }, 'JPEG lossless');
  const bits = decoder.precision ?? img.bitsStored;
  if (decoder.numComp > 1 && bits > 8) throw new Error(`JPEG lossless colour with ${bits}-bit samples is not supported`);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  // The decoder writes 16-bit samples in host order; every supported host is little endian.
  const values = codecSamples(bytes, out.length, bits, img.signed);
  return { values, photometric: afterCodec(img.photometric), samplesPerPixel: decoder.numComp };
}

async function decodeJpeg(frame: Uint8Array, img: DicomImage): Promise<FrameSamples> {
  const { default: sharp } = await import('sharp');
  const { data, info } = await attempt('JPEG', async () => {
    const meta = await sharp(frame, { failOn: 'none' }).metadata();
    if (meta.format !== 'jpeg') throw new Error(`not a JPEG codestream (${meta.format ?? 'unknown format'})`);
    if (meta.channels !== 1 && meta.channels !== 3) throw new Error(`JPEG has ${meta.channels} components`);
    // sharp outputs sRGB unless told otherwise, so keep one-component JPEGs gray explicitly.
    return sharp(frame, { failOn: 'none' })
      .toColourspace(meta.channels === 1 ? 'b-w' : 'srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  });
  checkSize(img, info, 'JPEG');
  const values = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // libjpeg converts YCbCr to RGB itself, so 3-channel output is RGB whatever the header says.
  return { values, photometric: info.channels === 3 ? 'RGB' : img.photometric, samplesPerPixel: info.channels };
}

/** Decode one encapsulated frame according to the image's transfer syntax. */
export async function decodeEncapsulated(frame: Uint8Array, img: DicomImage): Promise<FrameSamples> {
  const pixels = img.rows * img.columns;
  const layout = frameLayout(img, true, false);
  switch (img.syntax.encoding) {
    case 'rle': {
      const bytes = decodeRleFrame(frame, pixels, img.samplesPerPixel, img.bitsAllocated / 8);
      return {
        values: storedValues(bytes, { ...layout, planar: false }),
        photometric: img.photometric,
        samplesPerPixel: img.samplesPerPixel,
      };
    }
    case 'encapsulated-native': {
      const need = (pixels * img.samplesPerPixel * img.bitsAllocated) / 8;
      if (frame.length < need) throw new Error(`truncated pixel data: frame has ${frame.length} of ${need} bytes`);
      return {
        values: storedValues(frame, { ...layout, planar: img.planar }),
        photometric: img.photometric,
        samplesPerPixel: img.samplesPerPixel,
      };
    }
    case 'jpeg':
      return decodeJpeg(frame, img);
    case 'jpeg-lossless':
      return decodeJpegLossless(frame, img);
    case 'jpeg-ls':
      return decodeJpegLs(frame, img);
    case 'j2k':
      return decodeJ2k(frame, img);
    default:
      throw new Error(`transfer syntax ${img.syntax.uid} does not use encapsulated pixel data`);
  }
}
