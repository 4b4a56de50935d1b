// Compressed transfer syntaxes on synthetic images: each codestream is made by an encoder
// independent of the decoder (sharp for JPEG, a test encoder for JPEG lossless, the CharLS and
// OpenJPEG encoders for JPEG-LS and JPEG 2000), wrapped in a DICOM file and decoded back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import type { CharlsModule, OpenJpegModule } from './codec_types.js';
import { decodeDicom } from './index.js';
import { buildDicom, fragmentOffsets, imageElements, TS } from './testing/build.js';
import { encodeJpegLossless } from './testing/encoders.js';

const W = 24;
const H = 16;
const quiet = (): { print: () => void; printErr: () => void } => ({ print: () => {}, printErr: () => {} });

/** A smooth RGB test pattern (JPEG-friendly) and its 8-bit gray version. */
const RGB = Uint8Array.from({ length: W * H * 3 }, (_, i) => {
  const p = Math.floor(i / 3);
  const [x, y, c] = [p % W, Math.floor(p / W), i % 3];
  return c === 0 ? x * 10 : c === 1 ? y * 15 : 128 + (x + y) * 3;
});
const GRAY = Uint8Array.from({ length: W * H }, (_, p) => (p % W) * 7 + Math.floor(p / W) * 3);
/** 16-bit values using the full range; min–max scaling maps them by round(v · 255 / 65535). */
const WIDE = Uint16Array.from({ length: W * H }, (_, p) => (p === 0 ? 0 : p === 1 ? 65535 : (p * 2731) % 65536));

const to8 = (v: ArrayLike<number>, max: number): number[] => Array.from(v, (x) => Math.round((x * 255) / max));

function dicom(ts: string, fragments: Uint8Array[], a: Parameters<typeof imageElements>[0]): Uint8Array {
  return buildDicom({ ts, elements: imageElements(a), pixels: { fragments } });
}

async function decodeOne(buf: Uint8Array): Promise<{ channels: number; data: number[] }> {
  const frames = await decodeDicom(buf, 'c.dcm');
  assert.equal(frames.length, 1);
  const [f] = frames;
  assert.deepEqual([f!.width, f!.height], [W, H]);
  return { channels: f!.channels, data: [...f!.data] };
}

async function jpeg(raw: Uint8Array, channels: 1 | 3): Promise<Uint8Array> {
  const img = sharp(raw, { raw: { width: W, height: H, channels } }).toColourspace(channels === 1 ? 'b-w' : 'srgb');
  const j = await img.jpeg({ quality: 95 }).toBuffer();
  return new Uint8Array(j);
}

/** What libjpeg (through sharp) makes of a JPEG: the reference for the DICOM JPEG path. */
async function libjpeg(stream: Uint8Array, channels: 1 | 3): Promise<number[]> {
  return [...(await sharp(stream).toColourspace(channels === 1 ? 'b-w' : 'srgb').raw().toBuffer())];
}

describe('DICOM codecs', () => {
  it('JPEG baseline: gray and YBR_FULL_422 colour decode like libjpeg, close to the source', async () => {
    for (const [raw, ch, photometric] of [[GRAY, 1, 'MONOCHROME2'], [RGB, 3, 'YBR_FULL_422']] as const) {
      const stream = await jpeg(raw, ch);
      const ref = await libjpeg(stream, ch);
      const img = await decodeOne(dicom(TS.jpegBaseline, [stream], { rows: H, columns: W, samples: ch, photometric }));
      assert.equal(img.channels, ch);
      assert.deepEqual(img.data, ref);
      const err = img.data.reduce((s, v, i) => s + Math.abs(v - raw[i]!), 0) / raw.length;
      assert.ok(err < 3, `mean error ${err}`);
    }
  });

  it('JPEG lossless: 8-bit gray, 8-bit RGB and 16-bit gray are exact', async () => {
    const g = encodeJpegLossless(GRAY, W, H, 1, 8);
    assert.deepEqual((await decodeOne(dicom(TS.jpegLosslessSV1, [g], { rows: H, columns: W }))).data, [...GRAY]);
    const c = encodeJpegLossless(RGB, W, H, 3, 8);
    const rgb = await decodeOne(dicom(TS.jpegLossless, [c], { rows: H, columns: W, samples: 3 }));
    assert.deepEqual([rgb.channels, ...rgb.data], [3, ...RGB]);
    const w = encodeJpegLossless(WIDE, W, H, 1, 16);
    const wide = await decodeOne(dicom(TS.jpegLosslessSV1, [w], { rows: H, columns: W, bits: 16 }));
    assert.deepEqual(wide.data, to8(WIDE, 65535));
  });

  it('JPEG-LS: RGB in every interleave mode and 12-bit gray are exact', async () => {
    const mod = (await (await import('@cornerstonejs/codec-charls/wasmjs')).default(quiet())) as CharlsModule;
    const encode = (data: Uint8Array, comps: number, bits: number, mode: number): Uint8Array => {
      const enc = new mod.JpegLSEncoder!();
      enc.getDecodedBuffer({ width: W, height: H, bitsPerSample: bits, componentCount: comps }).set(data);
      enc.setNearLossless(0);
      enc.setInterleaveMode(mode);
      enc.encode();
      const out = new Uint8Array(enc.getEncodedBuffer());
      enc.delete();
      return out;
    };
    // Interleave mode 0 (one scan per component) takes its input as planes.
    const planes = Uint8Array.from({ length: RGB.length }, (_, i) => RGB[(i % (W * H)) * 3 + Math.floor(i / (W * H))]!);
    for (const [mode, input] of [[0, planes], [1, RGB], [2, RGB]] as const) {
      const img = await decodeOne(dicom(TS.jpegLs, [encode(input, 3, 8, mode)], { rows: H, columns: W, samples: 3 }));
      assert.deepEqual(img.data, [...RGB], `interleave mode ${mode}`);
    }
    const twelve = WIDE.map((v) => v >> 4);
    const ls = encode(new Uint8Array(twelve.buffer), 1, 12, 0);
    const img = await decodeOne(dicom(TS.jpegLs, [ls], { rows: H, columns: W, bits: 16, stored: 12 }));
    assert.deepEqual(img.data, to8(twelve, 4095));
  });

  it('JPEG 2000: reversible YBR_RCT colour and signed 16-bit gray are exact', async () => {
    const mod = (await (await import('@cornerstonejs/codec-openjpeg/wasmjs')).default(quiet())) as OpenJpegModule;
    const encode = (data: Uint8Array, comps: number, bits: number, signed: boolean): Uint8Array => {
      const enc = new mod.J2KEncoder!();
      const info = { width: W, height: H, bitsPerSample: bits, componentCount: comps, isSigned: signed, isUsingColorTransform: comps === 3 };
      enc.getDecodedBuffer(info).set(data);
      enc.setQuality(true, 0);
      enc.setDecompositions(2); // the default 5 levels need a larger image
      enc.encode();
      const out = new Uint8Array(enc.getEncodedBuffer());
      enc.delete();
      return out;
    };
    const c = encode(RGB, 3, 8, false);
    const rgb = await decodeOne(dicom(TS.j2kLossless, [c], { rows: H, columns: W, samples: 3, photometric: 'YBR_RCT' }));
    assert.deepEqual([rgb.channels, ...rgb.data], [3, ...RGB]);
    const signed = Int16Array.from(WIDE, (v) => v - 32768);
    const g = encode(new Uint8Array(signed.buffer), 1, 16, true);
    const gray = await decodeOne(dicom(TS.j2kLossless, [g], { rows: H, columns: W, bits: 16, signed: true }));
    assert.deepEqual(gray.data, to8(WIDE, 65535));
  });

  it('gathers frames that span several fragments, with or without a Basic Offset Table', async () => {
    const a = await jpeg(GRAY, 1);
    const b = await jpeg(GRAY.map((v) => 255 - v), 1);
    // Each frame's codestream is cut into two fragments (even lengths, as DICOM items need).
    const fragments = [a.subarray(0, 100), a.subarray(100), b.subarray(0, 100), b.subarray(100)];
    const offsets = fragmentOffsets(fragments);
    const want = [await libjpeg(a, 1), await libjpeg(b, 1)];
    for (const bot of [[], [offsets[0]!, offsets[2]!]]) {
      const buf = buildDicom({
        ts: TS.jpegBaseline,
        elements: imageElements({ rows: H, columns: W, frames: 2 }),
        pixels: { fragments, bot },
      });
      const frames = await decodeDicom(buf, 'two.dcm');
      assert.deepEqual(frames.map((f) => [...f.data]), want, `BOT ${JSON.stringify(bot)}`);
      const second = await decodeDicom(buf, 'two.dcm', { frames: 1 });
      assert.deepEqual([...second[0]!.data], want[1]);
    }
  });

  it('reports a codestream that does not match the header, naming the file', async () => {
    const stream = encodeJpegLossless(GRAY, W, H, 1, 8);
    const buf = dicom(TS.jpegLossless, [stream], { rows: H + 1, columns: W });
    await assert.rejects(decodeDicom(buf, 'bad.dcm'), {
      message: `bad.dcm: JPEG lossless codestream is ${W}x${H} but the header says ${W}x${H + 1}`,
    });
    const notJpeg = dicom(TS.jpegBaseline, [Uint8Array.of(0xff, 0xd8, 0xff, 0xd9)], { rows: H, columns: W });
    await assert.rejects(decodeDicom(notJpeg, 'nj.dcm'), /^Error: nj\.dcm: JPEG decoder failed \(.+\)$/);
    const badLossless = dicom(TS.jpegLossless, [Uint8Array.of(1, 2, 3, 4)], { rows: H, columns: W });
    await assert.rejects(decodeDicom(badLossless, 'bl.dcm'), { message: 'bl.dcm: JPEG lossless decoder failed (Not a JPEG file)' });
    const junk = dicom(TS.j2k, [Uint8Array.of(1, 2, 3, 4)], { rows: H, columns: W });
    await assert.rejects(decodeDicom(junk, 'junk.dcm'), {
      message: 'junk.dcm: JPEG 2000 decoder failed (corrupt or unsupported codestream)',
    });
  });
});
