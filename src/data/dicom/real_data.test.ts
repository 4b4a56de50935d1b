// Every DICOM file in ../shared/data/Dicom (pydicom/GDCM ultrasound samples), cross-checked:
// one image in several encodings must decode identically, sizes and frame counts must match the
// headers, and colour output is checked against values published by GDCM and pydicom.
// Without that folder a single test runs, and it fails in CI, which always has the data.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { DecodedImage } from '../decode.js';
import { decodeDicom, isDicom, readDicomHeader } from './index.js';

const DIR = fileURLToPath(new URL('../../../../shared/data/Dicom/', import.meta.url));

// name → [columns, rows, frames, channels out, transfer syntax, photometric]
const FILES: Record<string, readonly [number, number, number, 1 | 3, string, string]> = {
  'OBXXXX1A.dcm': [800, 600, 1, 3, '1.2.840.10008.1.2.1', 'PALETTE COLOR'],
  'OBXXXX1A_2frame.dcm': [800, 600, 2, 3, '1.2.840.10008.1.2.1', 'PALETTE COLOR'],
  'OBXXXX1A_expb.dcm': [800, 600, 1, 3, '1.2.840.10008.1.2.2', 'PALETTE COLOR'],
  'OBXXXX1A_expb_2frame.dcm': [800, 600, 2, 3, '1.2.840.10008.1.2.2', 'PALETTE COLOR'],
  'OBXXXX1A_rle.dcm': [800, 600, 1, 3, '1.2.840.10008.1.2.5', 'PALETTE COLOR'],
  'OBXXXX1A_rle_2frame.dcm': [800, 600, 2, 3, '1.2.840.10008.1.2.5', 'PALETTE COLOR'],
  'US-PAL-8-10x-echo.dcm': [600, 430, 10, 3, '1.2.840.10008.1.2.5', 'PALETTE COLOR'],
  'US-RGB-8-epicard.dcm': [640, 480, 1, 3, '1.2.840.10008.1.2.2', 'RGB'],
  'US1_J2KI.dcm': [640, 480, 1, 3, '1.2.840.10008.1.2.4.91', 'YBR_ICT'],
  'US1_J2KR.dcm': [640, 480, 1, 3, '1.2.840.10008.1.2.4.90', 'YBR_RCT'],
  'US1_UNCI.dcm': [640, 480, 1, 3, '1.2.840.10008.1.2.1', 'RGB'],
  'US1_UNCR.dcm': [640, 480, 1, 3, '1.2.840.10008.1.2.1', 'RGB'],
  'gdcm-US-ALOKA-16.dcm': [640, 480, 1, 3, '1.2.840.10008.1.2', 'PALETTE COLOR'],
  'gdcm-US-ALOKA-16_big.dcm': [640, 480, 1, 3, '1.2.840.10008.1.2.2', 'PALETTE COLOR'],
};

const cache = new Map<string, Promise<DecodedImage[]>>();
const read = (name: string): Buffer => readFileSync(DIR + name);
const decode = (name: string): Promise<DecodedImage[]> => {
  if (!cache.has(name)) cache.set(name, decodeDicom(read(name), name));
  return cache.get(name)!;
};
const md5 = (frames: readonly DecodedImage[]): string => {
  const h = createHash('md5');
  for (const f of frames) h.update(f.data);
  return h.digest('hex');
};
const rgbAt = (img: DecodedImage, y: number, x: number): number[] => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
/** 16-bit palette values as published by pydicom → our 8-bit output (high byte). */
const hi = (v: number[]): number[] => v.map((x) => x >> 8);

function assertSame(a: readonly DecodedImage[], b: readonly DecodedImage[], what: string): void {
  assert.equal(a.length, b.length, `${what}: frame count`);
  a.forEach((f, i) => {
    assert.deepEqual([f.width, f.height, f.channels], [b[i]!.width, b[i]!.height, b[i]!.channels], `${what}: frame ${i} shape`);
    assert.ok(Buffer.from(f.data).equals(Buffer.from(b[i]!.data)), `${what}: frame ${i} differs`);
  });
}

if (!existsSync(DIR)) {
  it(`DICOM samples absent (${DIR}): allowed only outside CI`, () => {
    assert.notEqual(process.env.CI, 'true', `${DIR} is missing, and CI must have the real data`);
  });
} else {
  describe('DICOM sample files (../shared/data/Dicom)', () => {
    it('covers every file in the folder', () => {
      assert.deepEqual(readdirSync(DIR).sort(), Object.keys(FILES).sort());
    });

    it('decodes every file: size, frame count and channels match the header', async () => {
      for (const [name, [cols, rows, frames, channels, ts, photometric]] of Object.entries(FILES)) {
        const buf = read(name);
        assert.ok(isDicom(buf), name);
        const h = await readDicomHeader(buf, name);
        assert.deepEqual([h.columns, h.rows, h.frames, h.syntax.uid, h.photometric], [cols, rows, frames, ts, photometric], name);
        const out = await decode(name);
        assert.equal(out.length, frames, name);
        for (const f of out) {
          assert.deepEqual([f.width, f.height, f.channels, f.data.length], [cols, rows, channels, cols * rows * channels], name);
        }
      }
    });

    it('OBXXXX1A: explicit LE, explicit BE (8-bit OW) and RLE decode identically, 1 and 2 frames', async () => {
      const single = await decode('OBXXXX1A.dcm');
      assertSame(await decode('OBXXXX1A_expb.dcm'), single, 'expb');
      assertSame(await decode('OBXXXX1A_rle.dcm'), single, 'rle');
      const two = await decode('OBXXXX1A_2frame.dcm');
      assertSame(await decode('OBXXXX1A_expb_2frame.dcm'), two, 'expb_2frame');
      assertSame(await decode('OBXXXX1A_rle_2frame.dcm'), two, 'rle_2frame');
      assertSame(two.slice(0, 1), single, '2frame frame 0');
      assert.ok(!Buffer.from(two[1]!.data).equals(Buffer.from(two[0]!.data)), 'the second frame is a different image');
      const one = await decodeDicom(read('OBXXXX1A_rle_2frame.dcm'), 'x', { frames: 1 });
      assertSame(one, two.slice(1), 'frames: 1');
    });

    it('OBXXXX1A_2frame: palette colours match pydicom apply_color_lut (high byte of 16-bit entries)', async () => {
      const [f0, f1] = await decode('OBXXXX1A_2frame.dcm');
      assert.deepEqual(rgbAt(f0!, 0, 0), hi([9472, 15872, 24064]));
      assert.deepEqual(rgbAt(f0!, 12, 12), hi([34816, 43520, 54016]));
      assert.deepEqual(rgbAt(f0!, 17, 110), hi([65280, 65280, 65280]));
      assert.deepEqual(rgbAt(f0!, 77, 103), [0, 0, 0]);
      assert.deepEqual(rgbAt(f0!, 478, 793), hi([23040, 52480, 65280]));
      const column = [
        [26112, 26112, 26112], [54528, 54528, 54528], [54528, 54528, 54528], [16640, 16640, 16640],
        [49152, 45056, 22016], [34816, 43520, 54016], [5632, 9984, 14848], [62464, 2816, 2816],
        [3072, 5632, 8192], [3072, 5632, 8192],
      ];
      column.forEach((ref, k) => assert.deepEqual(rgbAt(f1!, 143 + k, 355), hi(ref), `frame 1 row ${143 + k}`));
    });

    it('US-PAL-8-10x-echo (RLE, 10 frames, Basic Offset Table): all frames match GDCM ImageApplyLookupTable', async () => {
      const frames = await decode('US-PAL-8-10x-echo.dcm');
      assert.equal(md5(frames), 'c70309b66045140b8e08c11aa319c0ab');
      const ninth = await decodeDicom(read('US-PAL-8-10x-echo.dcm'), 'echo', { frames: 9 });
      assertSame(ninth, frames.slice(9), 'frames: 9');
      await assert.rejects(decodeDicom(read('US-PAL-8-10x-echo.dcm'), 'US-PAL-8-10x-echo.dcm', { frames: 10 }), {
        message: 'US-PAL-8-10x-echo.dcm: frame 10 requested but the file has 10 frames (frames count from 0)',
      });
    });

    it('US-RGB-8-epicard (big endian, planar configuration 1) matches GDCM', async () => {
      assert.equal(md5(await decode('US-RGB-8-epicard.dcm')), 'fe2d477d699e327be2d3d65eb76203e9');
    });

    it('US1: JPEG 2000 reversible equals the uncompressed copy; irreversible is close to its copy', async () => {
      const [jr] = await decode('US1_J2KR.dcm');
      const [ur] = await decode('US1_UNCR.dcm');
      assert.ok(Buffer.from(jr!.data).equals(Buffer.from(ur!.data)), 'J2KR != UNCR');
      const [ji] = await decode('US1_J2KI.dcm');
      const [ui] = await decode('US1_UNCI.dcm');
      const diff = (a: Uint8Array, b: Uint8Array): number => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
      assert.ok(diff(ji!.data, ui!.data) <= 0.5, `J2KI vs UNCI mean difference ${diff(ji!.data, ui!.data)}`);
      // ...while the lossy image really differs from the lossless one, so the checks above mean something.
      assert.ok(diff(ji!.data, ur!.data) > 1, 'J2KI should differ from UNCR');
    });

    it('gdcm-US-ALOKA-16 (16-bit, segmented palette): little and big endian agree and match pydicom', async () => {
      const [le] = await decode('gdcm-US-ALOKA-16.dcm');
      assertSame(await decode('gdcm-US-ALOKA-16_big.dcm'), [le!], 'big endian');
      const edge = hi([10280, 11565, 16705]);
      for (const [y, x] of [[0, 0], [0, 320], [0, 639], [479, 0], [479, 320], [479, 639]] as const) {
        assert.deepEqual(rgbAt(le!, y, x), edge, `(${y}, ${x})`);
      }
      assert.deepEqual([rgbAt(le!, 240, 0), rgbAt(le!, 240, 320), rgbAt(le!, 240, 639)], [[0, 0, 0], hi([257, 257, 257]), hi([2313, 2313, 2313])]);
    });

    it('colour files give plausible RGB: some saturated pixels, smooth neighbourhoods', async () => {
      for (const name of Object.keys(FILES)) {
        const img = (await decode(name))[0]!;
        let coloured = 0;
        let step = 0;
        for (let p = 0; p < img.data.length; p += 3) {
          const [r, g, b] = [img.data[p]!, img.data[p + 1]!, img.data[p + 2]!];
          if (Math.max(r, g, b) - Math.min(r, g, b) > 16) coloured++;
          if (p % (img.width * 3) !== 0) step += Math.abs(r - img.data[p - 3]!);
        }
        const n = img.width * img.height;
        assert.ok(coloured / n > 0.02, `${name}: only ${coloured} coloured pixels`);
        assert.ok(step / n < 12, `${name}: mean horizontal step ${step / n} (scrambled samples?)`);
      }
    });

    it('reports a truncated sample file in one line naming it', async () => {
      const buf = read('gdcm-US-ALOKA-16.dcm');
      await assert.rejects(decodeDicom(buf.subarray(0, buf.length - 1000), 'cut.dcm'), {
        message: 'cut.dcm: truncated pixel data: frame 0 needs bytes 0..614400 but the file ends after 613400 bytes of it',
      });
      const rle = read('OBXXXX1A_rle.dcm');
      await assert.rejects(decodeDicom(rle.subarray(0, rle.length - 1000), 'cut_rle.dcm'), /^Error: cut_rle\.dcm: truncated DICOM file \(/);
    });
  });
}
