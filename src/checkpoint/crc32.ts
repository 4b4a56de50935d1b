/**
 * CRC-32 (IEEE 802.3, the zip checksum). Uses zlib's native crc32 where Node
 * has it (>= 20.15 / 22.2); otherwise a table-driven slicing-by-8 in JS that
 * folds eight bytes per step (about 1 GB/s).
 */
import * as zlib from 'node:zlib';

const TABLES = ((): Uint32Array[] => {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0]![n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) t[s]![n] = (t[s - 1]![n]! >>> 8) ^ t[0]![t[s - 1]![n]! & 0xff]!;
  }
  return t;
})();

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The portable implementation, continuing from `crc` (an earlier result) when given. */
export function crc32Js(data: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = ~crc;
  let i = 0;
  const n = data.length;
  if (LITTLE_ENDIAN) {
    while (i < n && ((data.byteOffset + i) & 3) !== 0) c = t0[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
    const words = new Uint32Array(data.buffer, data.byteOffset + i, ((n - i) >>> 3) * 2);
    for (let k = 0; k < words.length; k += 2) {
      const a = c ^ words[k]!;
      const b = words[k + 1]!;
      c = t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]!
        ^ t3[b & 0xff]! ^ t2[(b >>> 8) & 0xff]! ^ t1[(b >>> 16) & 0xff]! ^ t0[b >>> 24]!;
    }
    i += words.length * 4;
  }
  for (; i < n; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const native: ((data: Uint8Array, crc?: number) => number) | undefined = typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined;

/** CRC-32 of `data`, continuing from `crc` when given. */
export function crc32(data: Uint8Array, crc = 0): number {
  return native ? native(data, crc) >>> 0 : crc32Js(data, crc);
}
