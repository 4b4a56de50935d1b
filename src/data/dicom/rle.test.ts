import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRleFrame, unpackBits } from './rle.js';
import { encodeRleFrame, packBits } from './testing/encoders.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.split(/\s+/).filter(Boolean), (h) => parseInt(h, 16));

describe('RLE Lossless (PS3.5 Annex G)', () => {
  it('unpacks the classic PackBits example (literal, replicate and no-op runs)', () => {
    // Apple TN1023's example, with a no-op (0x80) inserted.
    const src = hex('FE AA 02 80 00 2A 80 FD AA 03 80 00 2A 22 F7 AA');
    const want = hex('AA AA AA 80 00 2A AA AA AA AA 80 00 2A 22 AA AA AA AA AA AA AA AA AA AA');
    const out = new Uint8Array(want.length);
    assert.equal(unpackBits(src, out), want.length);
    assert.deepEqual(out, want);
  });

  it('stops at the output size and reports short segments', () => {
    const out = new Uint8Array(2);
    assert.equal(unpackBits(hex('FD 07'), out), 2); // a run of 4 clipped to 2
    assert.deepEqual([...out], [7, 7]);
    assert.equal(unpackBits(hex('01 05 06'), new Uint8Array(5)), 2);
  });

  it('round-trips through an independent PackBits encoder', () => {
    const src = Uint8Array.from({ length: 1000 }, (_, i) => (i % 300 < 150 ? 9 : (i * 31) % 7));
    const out = new Uint8Array(src.length);
    assert.equal(unpackBits(packBits(src), out), src.length);
    assert.deepEqual(out, src);
  });

  it('puts the most significant byte plane first and interleaves samples (16-bit RGB)', () => {
    // Two pixels of 16-bit RGB, native little-endian bytes.
    const words = [0x0102, 0x0304, 0x0506, 0xa1b2, 0xc3d4, 0xe5f6];
    const native = new Uint8Array(new Uint16Array(words).buffer);
    const frame = encodeRleFrame(native, 3, 2);
    assert.equal(new DataView(frame.buffer).getUint32(0, true), 6);
    // Segment 0 is the high byte of R: 0x01 then 0xa1.
    const seg0 = new DataView(frame.buffer).getUint32(4, true);
    const plane = new Uint8Array(2);
    unpackBits(frame.subarray(seg0), plane);
    assert.deepEqual([...plane], [0x01, 0xa1]);
    assert.deepEqual(decodeRleFrame(frame, 2, 3, 2), native);
  });

  it('rejects a wrong segment count, a bad offset and a short segment with one-line messages', () => {
    const native = Uint8Array.from({ length: 16 }, (_, i) => i);
    const frame = encodeRleFrame(native, 1, 1);
    assert.throws(() => decodeRleFrame(frame, 16, 3, 1), /RLE frame has 1 segments, expected 3/);
    assert.throws(() => decodeRleFrame(frame.subarray(0, 40), 16, 1, 1), /shorter than its 64-byte header/);
    const bad = frame.slice();
    new DataView(bad.buffer).setUint32(4, 9999, true);
    assert.throws(() => decodeRleFrame(bad, 16, 1, 1), /segment 0 has invalid offset 9999/);
    assert.throws(() => decodeRleFrame(frame, 20, 1, 1), /segment 0 decodes to 16 bytes, expected 20/);
  });
});
