import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeImage, decodeImageBuffer } from './decode.js';
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
