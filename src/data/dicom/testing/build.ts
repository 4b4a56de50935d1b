// Test helper: writes small DICOM Part 10 files (any of the uncompressed data-set encodings,
// native or encapsulated pixel data) so the decoder can be tested without sample files.
import { deflateSync } from 'fflate';

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflatedLE: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
  rle: '1.2.840.10008.1.2.5',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  jpegLs: '1.2.840.10008.1.2.4.80',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  mpeg4: '1.2.840.10008.1.2.4.102',
} as const;

/** A value: text (string VRs), numbers (US, SS, UL), or raw bytes / 16-bit words (OB, OW). */
export type Value = string | number[] | Uint8Array | Uint16Array;
export type Elements = Record<number, readonly [vr: string, value: Value]>;

export interface BuildOptions {
  readonly ts: string;
  readonly elements: Elements;
  /** Native pixel data (written as OW when a Uint16Array, else OB), or encapsulated fragments. */
  readonly pixels?: Uint8Array | Uint16Array | { readonly fragments: readonly Uint8Array[]; readonly bot?: readonly number[] };
  /** Leave out the 128-byte preamble and 'DICM' (default: false). */
  readonly noPreamble?: boolean;
}

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);

class Writer {
  private readonly parts: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(...v: number[]): void {
    this.parts.push(...v);
  }
  u16(v: number): void {
    if (this.le) this.u8(v & 0xff, (v >> 8) & 0xff);
    else this.u8((v >> 8) & 0xff, v & 0xff);
  }
  u32(v: number): void {
    const [first, second] = this.le ? [v & 0xffff, v >>> 16] : [v >>> 16, v & 0xffff];
    this.u16(first);
    this.u16(second);
  }
  bytes(b: Uint8Array): void {
    for (const x of b) this.parts.push(x);
  }
  tag(t: number): void {
    this.u16(t >>> 16);
    this.u16(t & 0xffff);
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function encodeValue(vr: string, v: Value, le: boolean): Uint8Array {
  const w = new Writer(le);
  if (typeof v === 'string') {
    const b = new TextEncoder().encode(v);
    w.bytes(b);
    if (b.length % 2) w.u8(vr === 'UI' ? 0 : 0x20);
  } else if (v instanceof Uint16Array) {
    for (const x of v) w.u16(x);
  } else if (v instanceof Uint8Array) {
    w.bytes(v);
    if (v.length % 2) w.u8(0);
  } else {
    for (const x of v) {
      if (vr === 'UL' || vr === 'SL') w.u32(x >>> 0);
      else w.u16(x & 0xffff);
    }
  }
  return w.done();
}

function element(w: Writer, tag: number, vr: string, data: Uint8Array, explicit: boolean, length = data.length): void {
  w.tag(tag);
  if (!explicit) {
    w.u32(length);
  } else if (LONG.has(vr)) {
    w.u8(vr.charCodeAt(0), vr.charCodeAt(1), 0, 0);
    w.u32(length);
  } else {
    w.u8(vr.charCodeAt(0), vr.charCodeAt(1));
    w.u16(length);
  }
  w.bytes(data);
}

function encapsulated(fragments: readonly Uint8Array[], bot: readonly number[]): Uint8Array {
  const w = new Writer(true);
  const item = (b: Uint8Array): void => {
    w.tag(0xfffee000);
    w.u32(b.length + (b.length % 2));
    w.bytes(b);
    if (b.length % 2) w.u8(0);
  };
  const table = new Writer(true);
  for (const o of bot) table.u32(o);
  item(table.done());
  for (const f of fragments) item(f);
  w.tag(0xfffee0dd);
  w.u32(0);
  return w.done();
}

/** Byte offsets (from the first fragment's item tag) of fragments, for a Basic Offset Table. */
export function fragmentOffsets(fragments: readonly Uint8Array[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const f of fragments) {
    out.push(at);
    at += 8 + f.length + (f.length % 2);
  }
  return out;
}

/** Build a DICOM file. */
export function buildDicom(o: BuildOptions): Uint8Array {
  const le = o.ts !== TS.explicitBE;
  const explicit = o.ts !== TS.implicitLE;
  const meta = new Writer(true);
  const ts = encodeValue('UI', o.ts, true);
  element(meta, 0x00020010, 'UI', ts, true);
  const metaBody = meta.done();
  const head = new Writer(true);
  if (!o.noPreamble) {
    head.bytes(new Uint8Array(128));
    head.bytes(new TextEncoder().encode('DICM'));
  }
  element(head, 0x00020000, 'UL', encodeValue('UL', [metaBody.length], true), true);
  head.bytes(metaBody);

  const body = new Writer(le);
  const tags = Object.keys(o.elements).map(Number).sort((a, b) => a - b);
  for (const tag of tags) {
    const [vr, value] = o.elements[tag]!;
    element(body, tag, vr, encodeValue(vr, value, le), explicit);
  }
  const px = o.pixels;
  if (px instanceof Uint8Array || px instanceof Uint16Array) {
    const vr = px instanceof Uint16Array ? 'OW' : 'OB';
    element(body, 0x7fe00010, vr, encodeValue(vr, px, le), explicit);
  } else if (px) {
    element(body, 0x7fe00010, 'OB', encapsulated(px.fragments, px.bot ?? []), explicit, 0xffffffff);
  }
  let data = body.done();
  if (o.ts === TS.deflatedLE) data = deflateSync(data);
  const head8 = head.done();
  const out = new Uint8Array(head8.length + data.length);
  out.set(head8);
  out.set(data, head8.length);
  return out;
}

/** The usual image attributes. */
export function imageElements(a: {
  rows: number;
  columns: number;
  bits?: number;
  stored?: number;
  signed?: boolean;
  samples?: number;
  photometric?: string;
  planar?: number;
  frames?: number;
}): Elements {
  const bits = a.bits ?? 8;
  const stored = a.stored ?? bits;
  const samples = a.samples ?? 1;
  const e: Elements = {
    0x00280002: ['US', [samples]],
    0x00280004: ['CS', a.photometric ?? (samples === 1 ? 'MONOCHROME2' : 'RGB')],
    0x00280010: ['US', [a.rows]],
    0x00280011: ['US', [a.columns]],
    0x00280100: ['US', [bits]],
    0x00280101: ['US', [stored]],
    0x00280102: ['US', [stored - 1]],
    0x00280103: ['US', [a.signed ? 1 : 0]],
  };
  if (samples > 1) e[0x00280006] = ['US', [a.planar ?? 0]];
  if (a.frames !== undefined) e[0x00280008] = ['IS', String(a.frames)];
  return e;
}
