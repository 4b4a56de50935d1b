/**
 * PALETTE COLOR lookup tables (PS3.3 C.7.6.3.1.5–6 and C.7.9): the standard tables
 * (0028,1201–1203) and the segmented ones (0028,1221–1223), reduced to 8-bit output values.
 */
import type { DataSet } from 'dicom-parser';

export interface Palette {
  /** First stored pixel value that is mapped (smaller values map to entry 0). */
  readonly first: number;
  /** One 8-bit table per channel, all of the same length; larger values map to the last entry. */
  readonly red: Uint8Array;
  readonly green: Uint8Array;
  readonly blue: Uint8Array;
}

interface Descriptor {
  readonly entries: number;
  readonly first: number;
  readonly bits: number;
}

const CHANNELS = [
  ['red', 'x00281101', 'x00281201', 'x00281221'],
  ['green', 'x00281102', 'x00281202', 'x00281222'],
  ['blue', 'x00281103', 'x00281203', 'x00281223'],
] as const;

/** Words (or bytes, for 8-bit entries) of an OW/OB element, in the data set's byte order. */
function readUnits(ds: DataSet, tag: string, bits: number): number[] {
  const el = ds.elements[tag]!;
  const arr = ds.byteArray;
  const end = Math.min(arr.length, el.dataOffset + el.length);
  const out: number[] = [];
  if (bits === 8) {
    // Bytes packed two per 16-bit word: a big-endian data set swaps each pair.
    const swap = ds.byteArrayParser.readUint16(new Uint8Array([1, 0]), 0) === 256 ? 1 : 0;
    for (let i = el.dataOffset; i < end; i++) out.push(arr[((i - el.dataOffset) ^ swap) + el.dataOffset]!);
    return out;
  }
  for (let i = el.dataOffset; i + 1 < end; i += 2) out.push(ds.byteArrayParser.readUint16(arr, i));
  return out;
}

/** Expand segmented LUT data (C.7.9.2): discrete, linear and indirect segments. */
export function expandSegmented(data: readonly number[], maxEntries: number): number[] {
  const out: number[] = [];
  const run = (start: number, segments: number, depth: number): void => {
    let pos = start;
    for (let s = 0; s < segments && pos < data.length && out.length < maxEntries; s++) {
      const op = data[pos]!;
      const n = data[pos + 1] ?? 0;
      if (op === 0) {
        for (let i = 0; i < n; i++) out.push(data[pos + 2 + i] ?? 0);
        pos += 2 + n;
      } else if (op === 1) {
        if (out.length === 0) throw new Error('linear segment without a previous value');
        const y0 = out[out.length - 1]!;
        const y1 = data[pos + 2] ?? 0;
        for (let i = 1; i <= n; i++) out.push(Math.round(y0 + ((y1 - y0) * i) / n));
        pos += 3;
      } else if (op === 2) {
        if (out.length === 0 || depth > 0) throw new Error('invalid indirect segment');
        // Offset of the first segment to copy, least significant word first. It is counted in
        // table entries (words), as GDCM and pydicom read it.
        const offset = (data[pos + 2] ?? 0) + (data[pos + 3] ?? 0) * 65536;
        run(offset, n, depth + 1);
        pos += 4;
      } else {
        throw new Error(`unknown segment type ${op}`);
      }
    }
  };
  run(0, Infinity, 0);
  return out;
}

/** Table entries → 8-bit output values (the high byte of 16-bit entries, as GDCM does); `bits` per table. */
function to8Bit(tables: readonly number[][], bits: readonly number[]): Uint8Array[] {
  // Tables declared 16-bit whose entries all fit 8 bits are 8-bit tables in disguise (old files).
  let max = 0;
  tables.forEach((t, c) => {
    if (bits[c]! > 8) for (const x of t) max = Math.max(max, x);
  });
  return tables.map((t, c) => {
    const wide = bits[c]! > 8 && max > 255;
    return Uint8Array.from(t, (x) => (wide ? x >> 8 : x & 0xff));
  });
}

function descriptor(ds: DataSet, tag: string, signed: boolean, name: string): Descriptor {
  if (!ds.elements[tag] || ds.uint16(tag, 2) === undefined) {
    throw new Error(`${name}: PALETTE COLOR image without a valid LUT descriptor (${tag.slice(1, 5)},${tag.slice(5)})`);
  }
  const entries = ds.uint16(tag, 0)! || 65536;
  const first = signed ? ds.int16(tag, 1)! : ds.uint16(tag, 1)!;
  return { entries, first, bits: ds.uint16(tag, 2)! };
}

/** Read the three palette tables of a PALETTE COLOR image. */
export function readPalette(ds: DataSet, signed: boolean, name: string): Palette {
  const descs = CHANNELS.map(([, d]) => descriptor(ds, d, signed, name));
  if (descs.some((d) => d.entries !== descs[0]!.entries || d.first !== descs[0]!.first)) {
    throw new Error(`${name}: the red, green and blue palette descriptors differ`);
  }
  const tables = CHANNELS.map(([colour, , lut, seg], c) => {
    const { entries, bits } = descs[c]!;
    try {
      if (ds.elements[lut]) {
        const units = readUnits(ds, lut, bits);
        // 8-bit entries may also be stored one per 16-bit word.
        const values = bits === 8 && units.length >= 2 * entries ? units.filter((_, i) => i % 2 === 0) : units;
        if (values.length < entries) throw new Error(`has ${values.length} of ${entries} entries`);
        return values.slice(0, entries);
      }
      if (ds.elements[seg]) {
        const values = expandSegmented(readUnits(ds, seg, bits), entries);
        if (values.length === 0) throw new Error('segmented table is empty');
        while (values.length < entries) values.push(values[values.length - 1]!);
        return values.slice(0, entries);
      }
      throw new Error('is missing');
    } catch (e) {
      throw new Error(`${name}: ${colour} palette LUT ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  const [red, green, blue] = to8Bit(tables, descs.map((d) => d.bits)) as [Uint8Array, Uint8Array, Uint8Array];
  return { first: descs[0]!.first, red, green, blue };
}
