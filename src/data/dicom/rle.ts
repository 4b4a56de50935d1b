/**
 * DICOM RLE Lossless (PS3.5 Annex G). A frame is a 64-byte header (segment count and up to 15
 * segment offsets, little endian) followed by PackBits-coded segments, one per byte plane: for each
 * sample (channel) in turn, its most significant byte first.
 */

/** Decode one PackBits segment into exactly `out.length` bytes; returns how many it produced. */
export function unpackBits(src: Uint8Array, out: Uint8Array): number {
  let i = 0;
  let o = 0;
  while (i < src.length && o < out.length) {
    const n = src[i++]!;
    if (n < 128) {
      // Literal run of n + 1 bytes.
      const len = Math.min(n + 1, src.length - i, out.length - o);
      out.set(src.subarray(i, i + len), o);
      i += n + 1;
      o += len;
    } else if (n > 128) {
      // Replicate the next byte 257 - n times.
      if (i >= src.length) break;
      const len = Math.min(257 - n, out.length - o);
      out.fill(src[i++]!, o, o + len);
      o += len;
    }
    // n === 128: no operation.
  }
  return o;
}

/**
 * Decode an RLE frame of `pixels` pixels with `samples` samples of `bytes` bytes each into
 * native little-endian, pixel-interleaved bytes (what an uncompressed frame would hold).
 */
export function decodeRleFrame(frame: Uint8Array, pixels: number, samples: number, bytes: number): Uint8Array {
  if (frame.length < 64) throw new Error(`RLE frame of ${frame.length} bytes is shorter than its 64-byte header`);
  const view = new DataView(frame.buffer, frame.byteOffset, 64);
  const count = view.getUint32(0, true);
  const expected = samples * bytes;
  if (count !== expected) {
    throw new Error(`RLE frame has ${count} segments, expected ${expected} (${samples} samples × ${bytes} bytes)`);
  }
  const offsets: number[] = [];
  for (let s = 0; s < count; s++) offsets.push(view.getUint32(4 + 4 * s, true));
  const out = new Uint8Array(pixels * expected);
  const plane = new Uint8Array(pixels);
  for (let s = 0; s < count; s++) {
    const start = offsets[s]!;
    const end = s + 1 < count ? offsets[s + 1]! : frame.length;
    if (start < 64 || end < start || end > frame.length) {
      throw new Error(`RLE segment ${s} has invalid offset ${start} (frame is ${frame.length} bytes)`);
    }
    plane.fill(0);
    const got = unpackBits(frame.subarray(start, end), plane);
    if (got < pixels) throw new Error(`RLE segment ${s} decodes to ${got} bytes, expected ${pixels}`);
    // Segment s holds byte (bytes - 1 - s % bytes) (little-endian position) of sample floor(s / bytes).
    const sample = Math.floor(s / bytes);
    const pos = sample * bytes + (bytes - 1 - (s % bytes));
    for (let p = 0, o = pos; p < pixels; p++, o += expected) out[o] = plane[p]!;
  }
  return out;
}
