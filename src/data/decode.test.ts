import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeFrames, decodeFramesBuffer, decodeImage, decodeImageBuffer } from './decode.js';
import { buildDicom, imageElements, TS } from './dicom/testing/build.js';
import { fixtureNpy, fixturePath } from './testing/fixtures.js';

const dec = (name: string): string => fixturePath(`decode/${name}`);

describe('decodeImage', () => {
  it('keeps 8-bit grayscale PNG as one channel', async () => {
    const img = await decodeImage(fixturePath('us1.png'));
    assert.deepEqual([img.width, img.height, img.channels, img.data.length], [128, 96, 1, 128 * 96]);
  });

  it('decodes RGB PNG to three channels', async () => {
    const img = await decodeImage(fixturePath('synth.png'));
    assert.deepEqual([img.width, img.height, img.channels], [48, 40, 3]);
    assert.deepEqual([...img.data.subarray(0, 3)], [0, 0, img.data[2]!]);
  });

  it('expands palette PNG to RGB like PIL convert("RGB")', async () => {
    const img = await decodeImage(dec('palette.png'));
    assert.equal(img.channels, 3);
    assert.deepEqual(img.data, fixtureNpy('decode/palette_rgb.npy').data);
  });

  it('drops alpha from RGBA and LA', async () => {
    const rgba = await decodeImage(dec('rgba.png'));
    assert.equal(rgba.channels, 3);
    assert.deepEqual(rgba.data, fixtureNpy('decode/rgba_rgb.npy').data);
    const la = await decodeImage(dec('la.png'));
    assert.equal(la.channels, 1);
    assert.deepEqual(la.data, fixtureNpy('decode/la_l.npy').data);
  });

  it('decodes grayscale JPEG to one channel (within ±1 of PIL)', async () => {
    const img = await decodeImage(dec('gray.jpg'));
    const ref = fixtureNpy('decode/gray_l.npy').data as Uint8Array;
    assert.equal(img.channels, 1);
    assert.equal(img.data.length, ref.length);
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(img.data[i]! - ref[i]!) <= 1, `pixel ${i}`);
  });

  it('scales 16-bit PNG samples to 8 bits: round(v * 255 / 65535)', async () => {
    for (const [name, channels] of [['gray16', 1], ['rgb16', 3]] as const) {
      const img = await decodeImage(dec(`${name}.png`));
      const raw = fixtureNpy(`decode/${name}.npy`);
      assert.equal(img.channels, channels);
      assert.deepEqual([img.height, img.width], raw.shape.slice(0, 2));
      const expected = Array.from(raw.data as Int32Array, (v) => Math.round((v * 255) / 65535));
      assert.deepEqual([...img.data], expected, name);
    }
  });

  it('reports missing, empty, truncated and non-image files in one line naming the file', async () => {
    const missing = dec('nope.png');
    await assert.rejects(decodeImage(missing), { message: `${missing}: no such file` });
    await assert.rejects(decodeImage(dec('empty.png')), { message: `${dec('empty.png')}: empty file` });
    await assert.rejects(decodeImage(dec('truncated.png')), (e: Error) => {
      assert.match(e.message, /truncated\.png: cannot decode image \(.+\)$/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    await assert.rejects(decodeImage(fixturePath('README.md')), /README\.md: cannot decode image \(/);
    await assert.rejects(decodeImage(fixturePath('decode')), /decode: is a directory/);
  });

  it('decodes from a buffer', async () => {
    const img = await decodeImageBuffer(readFileSync(fixturePath('us2.png')), 'us2');
    assert.deepEqual([img.width, img.height, img.channels], [100, 140, 1]);
    await assert.rejects(decodeImageBuffer(new Uint8Array([1, 2, 3]), 'junk'), /^Error: junk: cannot decode image/);
  });
});

describe('decodeImage / decodeFrames with DICOM', () => {
  // Three 2×2 frames, 8-bit MONOCHROME2, written under a misleading extension: detection is by content.
  const frames = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]];
  const dicom = buildDicom({
    ts: TS.explicitLE,
    elements: imageElements({ rows: 2, columns: 2, frames: 3 }),
    pixels: Uint8Array.from(frames.flat()),
  });

  it('detects DICOM by content: decodeImage gives the first frame, decodeFrames any or all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'usfm-dicom-'));
    try {
      const path = join(dir, 'scan.png');
      writeFileSync(path, dicom);
      const first = await decodeImage(path);
      assert.deepEqual([first.width, first.height, first.channels, ...first.data], [2, 2, 1, ...frames[0]!]);
      assert.deepEqual((await decodeFrames(path)).map((f) => [...f.data]), frames);
      assert.deepEqual((await decodeFrames(path, 2)).map((f) => [...f.data]), [frames[2]]);
      await assert.rejects(decodeFrames(path, 3), {
        message: `${path}: frame 3 requested but the file has 3 frames (frames count from 0)`,
      });
      await assert.rejects(decodeFrames(join(dir, 'missing.dcm')), /missing\.dcm: no such file$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('decodes DICOM from a buffer and treats ordinary images as one frame', async () => {
    assert.deepEqual([...(await decodeImageBuffer(dicom, 'mem.dcm')).data], frames[0]);
    assert.deepEqual((await decodeFramesBuffer(dicom, 'mem.dcm', 1)).map((f) => [...f.data]), [frames[1]]);
    const png = await decodeFrames(fixturePath('us1.png'));
    assert.deepEqual(png.map((f) => [f.width, f.height, f.channels]), [[128, 96, 1]]);
    assert.deepEqual((await decodeFrames(fixturePath('us1.png'), 0))[0]!.data, png[0]!.data);
    await assert.rejects(decodeFrames(fixturePath('us1.png'), 1), /us1\.png: frame 1 requested but the file has 1 frame/);
  });

  it('reports DICOM problems in one line naming the file', async () => {
    const bad = buildDicom({ ts: TS.mpeg4, elements: imageElements({ rows: 2, columns: 2 }), pixels: { fragments: [Uint8Array.of(0, 0)] } });
    await assert.rejects(decodeImageBuffer(bad, 'video.dcm'), {
      message: 'video.dcm: unsupported transfer syntax 1.2.840.10008.1.2.4.102 (MPEG-4 AVC/H.264 High Profile video)',
    });
  });
});
