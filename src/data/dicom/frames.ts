/**
 * Pixel Data → the bytes of one frame: a slice of native pixel data, or the fragments of
 * encapsulated pixel data that make up the frame (PS3.5 A.4), found through the Basic Offset
 * Table when there is one, else one fragment per frame, else by the codestream start markers.
 */
import type { DicomImage, Fragment } from './parse.js';

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Bytes one native frame occupies. YBR_FULL_422 stores two samples per pixel (Y Y Cb Cr). */
export function nativeFrameBytes(img: DicomImage): number {
  const pixels = img.rows * img.columns;
  const samples = img.photometric === 'YBR_FULL_422' && img.samplesPerPixel === 3 ? 2 : img.samplesPerPixel;
  return (pixels * samples * img.bitsAllocated) / 8;
}

/**
 * The stored bytes of native frame `index`, in the file's byte order, except that 8-bit samples
 * in big-endian OW data (stored as swapped byte pairs) are put back in order.
 */
export function nativeFrame(img: DicomImage, index: number, name: string): Uint8Array {
  if (img.pixel.kind !== 'native') throw new Error('nativeFrame: encapsulated pixel data');
  const size = nativeFrameBytes(img);
  if (!Number.isInteger(size)) throw new Error(`${name}: Bits Allocated ${img.bitsAllocated} is not supported`);
  const start = index * size;
  const end = start + size;
  const { bytes, length } = img.pixel;
  if (end > bytes.length) {
    const what = end > length ? `pixel data holds ${length} bytes` : `the file ends after ${bytes.length} bytes of it`;
    throw new Error(`truncated pixel data: frame ${index} needs bytes ${start}..${end} but ${what}`);
  }
  const swapPairs = !img.syntax.littleEndian && img.bitsAllocated === 8 && img.pixel.vr === 'OW';
  if (!swapPairs) return bytes.subarray(start, end);
  const from = start & ~1;
  const out = new Uint8Array(bytes.subarray(from, Math.min(bytes.length, (end + 1) & ~1)));
  for (let i = 0; i + 1 < out.length; i += 2) {
    const t = out[i]!;
    out[i] = out[i + 1]!;
    out[i + 1] = t;
  }
  return out.subarray(start - from, start - from + size);
}

/** Where a frame's codestream starts: JPEG/JPEG-LS SOI, a JPEG 2000 codestream or JP2 file. */
function startsFrame(f: Uint8Array): boolean {
  if (f[0] === 0xff && (f[1] === 0xd8 || (f[1] === 0x4f && f[2] === 0xff && f[3] === 0x51))) return true;
  return f[4] === 0x6a && f[5] === 0x50 && f[6] === 0x20 && f[7] === 0x20; // 'jP  ' signature box
}

function groupFragments(fragments: readonly Fragment[], offsets: readonly number[], frames: number): Fragment[][] {
  if (frames === 1) return [[...fragments]];
  if (offsets.length > 0) {
    if (offsets.length !== frames) {
      throw new Error(`Basic Offset Table has ${offsets.length} entries for ${frames} frames`);
    }
    return offsets.map((start, i) => {
      const end = offsets[i + 1] ?? Infinity;
      return fragments.filter((f) => f.offset >= start && f.offset < end);
    });
  }
  if (fragments.length === frames) return fragments.map((f) => [f]);
  if (fragments.length < frames) {
    throw new Error(`pixel data has ${fragments.length} fragments for ${frames} frames (truncated?)`);
  }
  const groups: Fragment[][] = [];
  for (const f of fragments) {
    if (groups.length === 0 || startsFrame(f.data)) groups.push([f]);
    else groups[groups.length - 1]!.push(f);
  }
  if (groups.length !== frames) {
    throw new Error(
      `cannot split ${fragments.length} fragments into ${frames} frames without a Basic Offset Table ` +
        `(found ${groups.length} codestream starts)`,
    );
  }
  return groups;
}

/** The encoded bytes of encapsulated frame `index`. */
export function encapsulatedFrame(img: DicomImage, index: number): Uint8Array {
  if (img.pixel.kind !== 'encapsulated') throw new Error('encapsulatedFrame: native pixel data');
  const { fragments, offsets } = img.pixel;
  if (fragments.length === 0) throw new Error('encapsulated pixel data has no fragments');
  const group = groupFragments(fragments, offsets, img.frames)[index]!;
  if (group.length === 0) throw new Error(`frame ${index} has no fragments (bad Basic Offset Table?)`);
  return concat(group.map((f) => f.data));
}
