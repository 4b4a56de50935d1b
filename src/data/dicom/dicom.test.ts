// Synthetic DICOM files built in memory: data-set encodings, bit depths, photometric
// interpretations, multi-frame and error messages. Needs no sample files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeDicom, isDicom } from './index.js';
import { expandSegmented } from './palette.js';
import { buildDicom, fragmentOffsets, imageElements, TS, type Elements } from './testing/build.js';
import { encodeRleFrame } from './testing/encoders.js';

const px = (img: { data: Uint8Array }): number[] => [...img.data];
const u16le = (words: number[]): Uint8Array => new Uint8Array(new Uint16Array(words).buffer);

async function one(buf: Uint8Array, name = 'x.dcm'): Promise<{ width: number; height: number; channels: number; data: Uint8Array }> {
  const frames = await decodeDicom(buf, name);
  assert.equal(frames.length, 1);
  return frames[0]!;
}

describe('DICOM data-set encodings', () => {
  it('decodes explicit LE 8-bit MONOCHROME1 2×2 as inverted grayscale, one channel', async () => {
    const buf = buildDicom({
      ts: TS.explicitLE,
      elements: imageElements({ rows: 2, columns: 2, photometric: 'MONOCHROME1' }),
      pixels: Uint8Array.of(0, 10, 200, 255),
    });
    assert.ok(isDicom(buf));
    const img = await one(buf);
    assert.deepEqual([img.width, img.height, img.channels], [2, 2, 1]);
    assert.deepEqual(px(img), [255, 245, 55, 0]);
  });

  it('keeps 8-bit MONOCHROME2 values as they are (no stretching)', async () => {
    const buf = buildDicom({ ts: TS.explicitLE, elements: imageElements({ rows: 1, columns: 4 }), pixels: Uint8Array.of(20, 30, 40, 50) });
    assert.deepEqual(px(await one(buf)), [20, 30, 40, 50]);
  });

  it('gives identical results for implicit LE, explicit LE, explicit BE, deflated LE and no preamble', async () => {
    const words = [0, 1000, 2000, 4095, 123, 3000];
    const elements = imageElements({ rows: 2, columns: 3, bits: 16, stored: 12 });
    const ref = px(await one(buildDicom({ ts: TS.explicitLE, elements, pixels: new Uint16Array(words) })));
    assert.deepEqual(ref, [0, 62, 125, 255, 8, 187]); // min–max: round(v · 255 / 4095)
    for (const ts of [TS.implicitLE, TS.explicitBE, TS.deflatedLE]) {
      assert.deepEqual(px(await one(buildDicom({ ts, elements, pixels: new Uint16Array(words) }))), ref, ts);
    }
    const bare = buildDicom({ ts: TS.explicitLE, elements, pixels: new Uint16Array(words), noPreamble: true });
    assert.ok(isDicom(bare));
    assert.deepEqual(px(await one(bare)), ref);
  });

  it('un-swaps 8-bit samples stored as big-endian OW words', async () => {
    const bytes = [1, 2, 3, 4, 5, 6];
    const words = new Uint16Array(bytes.length / 2).map((_, i) => bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
    const elements = imageElements({ rows: 2, columns: 3 });
    for (const ts of [TS.explicitLE, TS.explicitBE]) {
      assert.deepEqual(px(await one(buildDicom({ ts, elements, pixels: words }))), bytes, ts);
    }
  });
});

describe('DICOM grayscale values', () => {
  it('masks bits above High Bit and sign-extends Pixel Representation 1', async () => {
    // 12 of 16 bits stored, signed: 0xF800 has junk in the top nibble and is -2048 in 12 bits.
    const elements = { ...imageElements({ rows: 1, columns: 3, bits: 16, stored: 12, signed: true }) };
    elements[0x00281050] = ['DS', '0'];
    elements[0x00281051] = ['DS', '4096'];
    const img = await one(buildDicom({ ts: TS.explicitLE, elements, pixels: new Uint16Array([0xf800, 0x0000, 0x17ff]) }));
    assert.deepEqual(px(img), [0, 128, 255]); // -2048, 0, 2047 through a full-range window
  });

  it('applies rescale slope/intercept, then the window (DICOM LINEAR)', async () => {
    const elements: Elements = {
      ...imageElements({ rows: 1, columns: 5, bits: 16 }),
      0x00281050: ['DS', '40\\400'], // the first value is used
      0x00281051: ['DS', '81\\2000'],
      0x00281052: ['DS', '-1024'],
      0x00281053: ['DS', '2'],
    };
    // HU = 2v - 1024: -1024, 0, 40, 80, 1000. Window 40/81: y = ((x - 39.5) / 80 + 0.5) · 255 on
    // (-0.5, 79.5], 0 below, 255 above.
    const img = await one(buildDicom({ ts: TS.explicitLE, elements, pixels: new Uint16Array([0, 512, 532, 552, 1012]) }));
    assert.deepEqual(px(img), [0, 2, 129, 255, 255]);
  });

  it('min–max scales deeper data without a window, per frame; a flat frame becomes 0', async () => {
    const elements = imageElements({ rows: 1, columns: 3, bits: 16, frames: 2 });
    const buf = buildDicom({ ts: TS.explicitLE, elements, pixels: new Uint16Array([100, 200, 300, 7, 7, 7]) });
    const frames = await decodeDicom(buf, 'mm.dcm');
    assert.deepEqual(frames.map(px), [[0, 128, 255], [0, 0, 0]]);
  });
});

describe('DICOM colour', () => {
  const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];

  it('decodes RGB with planar configuration 0 and 1 to the same interleaved image', async () => {
    const planar = [0, 1, 2].flatMap((c) => [0, 1, 2, 3].map((p) => rgb[p * 3 + c]!));
    for (const [planarConfig, data] of [[0, rgb], [1, planar]] as const) {
      const elements = imageElements({ rows: 2, columns: 2, samples: 3, planar: planarConfig });
      const img = await one(buildDicom({ ts: TS.explicitLE, elements, pixels: Uint8Array.from(data) }));
      assert.deepEqual([img.channels, ...px(img)], [3, ...rgb], `planar ${planarConfig}`);
    }
  });

  it('converts YBR_FULL and YBR_FULL_422 to RGB', async () => {
    // BT.601 full range: red (255,0,0) is Y 76, Cb 85, Cr 255; gray 128 is 128,128,128.
    const ybr = [76, 85, 255, 128, 128, 128];
    const full = await one(buildDicom({
      ts: TS.explicitLE,
      elements: imageElements({ rows: 1, columns: 2, samples: 3, photometric: 'YBR_FULL' }),
      pixels: Uint8Array.from(ybr),
    }));
    assert.deepEqual(px(full), [254, 0, 0, 128, 128, 128]);
    // 4:2:2: two pixels share Cb/Cr, stored Y0 Y1 Cb Cr.
    const sub = await one(buildDicom({
      ts: TS.explicitLE,
      elements: imageElements({ rows: 1, columns: 2, samples: 3, photometric: 'YBR_FULL_422' }),
      pixels: Uint8Array.of(100, 200, 128, 128),
    }));
    assert.deepEqual(px(sub), [100, 100, 100, 200, 200, 200]);
  });

  it('expands PALETTE COLOR through 16-bit LUTs with a first mapped value, clamping outside the table', async () => {
    const lut = (f: (i: number) => number): Uint16Array => Uint16Array.from({ length: 4 }, (_, i) => f(i));
    const elements: Elements = {
      ...imageElements({ rows: 1, columns: 6, photometric: 'PALETTE COLOR' }),
      0x00281101: ['US', [4, 10, 16]],
      0x00281102: ['US', [4, 10, 16]],
      0x00281103: ['US', [4, 10, 16]],
      0x00281201: ['OW', lut((i) => i * 0x5555)],
      0x00281202: ['OW', lut((i) => 0xffff - i * 0x5555)],
      0x00281203: ['OW', lut(() => 0x8000)],
    };
    const img = await one(buildDicom({ ts: TS.explicitLE, elements, pixels: Uint8Array.of(0, 10, 11, 12, 13, 99) }));
    assert.equal(img.channels, 3);
    const r = [0, 0, 85, 170, 255, 255];
    assert.deepEqual(px(img), r.flatMap((v) => [v, 255 - v, 128]));
  });

  it('expands segmented palette LUTs (discrete, linear and indirect segments) and 8-bit LUTs', async () => {
    // Red: discrete [0, 25600], linear to 51200 in 3 steps, indirect copy of the segment at word 0.
    const seg = new Uint16Array([0, 2, 0, 25600, 1, 3, 51200, 2, 1, 0, 0]);
    const elements: Elements = {
      ...imageElements({ rows: 1, columns: 8, photometric: 'PALETTE COLOR' }),
      0x00281101: ['US', [8, 0, 16]],
      0x00281102: ['US', [8, 0, 8]],
      0x00281103: ['US', [8, 0, 8]],
      0x00281221: ['OW', seg],
      0x00281202: ['OW', Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7)],
      0x00281203: ['OW', Uint8Array.of(7, 6, 5, 4, 3, 2, 1, 0)],
    };
    const img = await one(buildDicom({ ts: TS.explicitLE, elements, pixels: Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7) }));
    // 16-bit entries [0, 25600, 34133, 42667, 51200, 0, 25600] padded with the last one; high bytes:
    const red = [0, 100, 133, 166, 200, 0, 100, 100];
    assert.deepEqual(px(img), red.flatMap((v, i) => [v, i, 7 - i]));
  });

  it('expands segmented tables like pydicom (published test vectors)', () => {
    assert.deepEqual(expandSegmented([0, 2, 0, 28672, 1, 5, 49152], 99), [0, 28672, 32768, 36864, 40960, 45056, 49152]);
    assert.deepEqual(expandSegmented([0, 2, 0, 49152, 1, 5, 28672], 99), [0, 49152, 45056, 40960, 36864, 32768, 28672]);
    const ramp = [0, 112, 128, 144, 160, 176, 192];
    assert.deepEqual(expandSegmented([0, 2, 0, 112, 1, 5, 192, 2, 2, 0, 0], 99), [...ramp, ...ramp]);
    assert.deepEqual(expandSegmented([0, 2, 0, 112, 1, 5, 192, 2, 1, 4, 0], 99), [...ramp, 192, 192, 192, 192, 192]);
    assert.throws(() => expandSegmented([1, 5, 49152], 99), /linear segment without a previous value/);
    assert.throws(() => expandSegmented([3, 5, 49152], 99), /unknown segment type 3/);
  });
});

describe('DICOM frames and encapsulation', () => {
  const frames = [Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6, 7, 8), Uint8Array.of(9, 9, 9, 9)];
  const elements = imageElements({ rows: 2, columns: 2, frames: 3 });

  it('returns every frame, or just the one asked for (counted from 0)', async () => {
    const buf = buildDicom({ ts: TS.explicitLE, elements, pixels: Uint8Array.from(frames.flatMap((f) => [...f])) });
    assert.deepEqual((await decodeDicom(buf, 'm.dcm')).map(px), frames.map((f) => [...f]));
    assert.deepEqual((await decodeDicom(buf, 'm.dcm', { frames: 1 })).map(px), [[5, 6, 7, 8]]);
    await assert.rejects(decodeDicom(buf, 'm.dcm', { frames: 3 }), {
      message: 'm.dcm: frame 3 requested but the file has 3 frames (frames count from 0)',
    });
  });

  it('decodes RLE frames with and without a Basic Offset Table', async () => {
    const rle = frames.map((f) => encodeRleFrame(f, 1, 1));
    const withBot = buildDicom({
      ts: TS.rle,
      elements,
      pixels: { fragments: rle, bot: fragmentOffsets(rle) },
    });
    const noBot = buildDicom({ ts: TS.rle, elements, pixels: { fragments: rle } });
    for (const buf of [withBot, noBot]) assert.deepEqual((await decodeDicom(buf, 'r.dcm')).map(px), frames.map((f) => [...f]));
  });

  it('decodes 16-bit RLE (two byte planes per sample)', async () => {
    const words = [0, 1000, 60000, 65535];
    const frame = encodeRleFrame(u16le(words), 1, 2);
    const el = imageElements({ rows: 2, columns: 2, bits: 16 });
    const img = await one(buildDicom({ ts: TS.rle, elements: el, pixels: { fragments: [frame] } }));
    assert.deepEqual(px(img), words.map((v) => Math.round((v * 255) / 65535)));
  });

  it('reports not-DICOM, truncation, unsupported syntaxes and bad frames in one line naming the file', async () => {
    await assert.rejects(decodeDicom(new TextEncoder().encode('hello world, not dicom'), 'a.dcm'), {
      message: 'a.dcm: not a DICOM file',
    });
    const buf = buildDicom({ ts: TS.explicitLE, elements, pixels: Uint8Array.from(frames.flatMap((f) => [...f])) });
    await assert.rejects(decodeDicom(buf.subarray(0, buf.length - 2), 't.dcm'), /^Error: t\.dcm: (truncated DICOM file|frame 2: truncated pixel data)/);
    const mpeg = buildDicom({ ts: TS.mpeg4, elements, pixels: { fragments: [Uint8Array.of(0, 0, 1)] } });
    await assert.rejects(decodeDicom(mpeg, 'v.dcm'), {
      message: 'v.dcm: unsupported transfer syntax 1.2.840.10008.1.2.4.102 (MPEG-4 AVC/H.264 High Profile video)',
    });
    const rle = buildDicom({ ts: TS.rle, elements, pixels: { fragments: [encodeRleFrame(frames[0]!, 1, 1)] } });
    await assert.rejects(decodeDicom(rle, 'f.dcm'), /^Error: f\.dcm: frame 0: pixel data has 1 fragments for 3 frames/);
    const noPixels = buildDicom({ ts: TS.explicitLE, elements });
    await assert.rejects(decodeDicom(noPixels, 'n.dcm'), /^Error: n\.dcm: no pixel data/);
    const bits = buildDicom({ ts: TS.explicitLE, elements: imageElements({ rows: 2, columns: 2, bits: 12 }), pixels: Uint8Array.of(1, 2, 3, 4, 5, 6) });
    await assert.rejects(decodeDicom(bits, 'b.dcm'), { message: 'b.dcm: Bits Allocated 12 is not supported (only 8, 16 and 32)' });
  });
});
