/**
 * DICOM file → the attributes needed to render its pixels, via `dicom-parser` (loaded on first
 * use). Part 10 files are recognised by 'DICM' at offset 128; files that lack the 128-byte preamble
 * (meta header at offset 0) and bare data sets starting with group 0008 are accepted as well.
 */
import type * as DicomParserApi from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { inflateSync } from 'fflate';
import { readPalette, type Palette } from './palette.js';
import { transferSyntax, type TransferSyntax } from './syntax.js';

type DicomParserModule = typeof DicomParserApi;

export interface Fragment {
  /** Offset of the fragment's item tag from the first fragment's item tag (what the BOT counts). */
  readonly offset: number;
  readonly data: Uint8Array;
}

export type PixelData =
  | {
      readonly kind: 'native';
      /** The element's bytes as far as the file holds them (may be shorter than `length`). */
      readonly bytes: Uint8Array;
      /** Declared length of the element. */
      readonly length: number;
      readonly vr: string | undefined;
    }
  | {
      readonly kind: 'encapsulated';
      readonly fragments: readonly Fragment[];
      /** Basic Offset Table: one offset per frame, or empty. */
      readonly offsets: readonly number[];
    };

export interface VoiWindow {
  readonly center: number;
  readonly width: number;
  /** VOI LUT Function (0028,1056): LINEAR (default), LINEAR_EXACT or SIGMOID. */
  readonly fn: string;
}

export interface DicomImage {
  readonly syntax: TransferSyntax;
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  readonly signed: boolean;
  readonly photometric: string;
  readonly planar: boolean;
  readonly frames: number;
  readonly rescale?: { readonly slope: number; readonly intercept: number };
  readonly window?: VoiWindow;
  readonly palette?: Palette;
  readonly pixel: PixelData;
}

const PREAMBLE = 128;
const VR = /^(AE|AS|AT|CS|DA|DS|DT|FD|FL|IS|LO|LT|OB|OD|OF|OL|OV|OW|PN|SH|SL|SQ|SS|ST|SV|TM|UC|UI|UL|UN|UR|US|UT|UV)$/;

const ascii = (b: Uint8Array, at: number, n: number): string => String.fromCharCode(...b.subarray(at, at + n));
const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);

/** Bytes {@link isPart10} needs from the start of a file. */
export const PART10_PROBE = PREAMBLE + 4;

/**
 * DICOM Part 10 (a file as written to media): 'DICM' after the 128-byte preamble. The strict test, for files
 * admitted by content alone (a folder's extensionless files); {@link isDicom} also takes preamble-less streams.
 */
export function isPart10(buf: Uint8Array): boolean {
  return buf.length >= PART10_PROBE && ascii(buf, PREAMBLE, 4) === 'DICM';
}

/** Layout of a buffer that looks like DICOM, or undefined. */
function layout(buf: Uint8Array): 'part10' | 'no-preamble' | 'explicit-le' | 'implicit-le' | undefined {
  if (isPart10(buf)) return 'part10';
  if (buf.length < 8) return undefined;
  const group = u16(buf, 0);
  const vr = VR.test(ascii(buf, 4, 2));
  if (group === 0x0002 && vr) return 'no-preamble';
  if (group !== 0x0008 || u16(buf, 2) > 0x0020) return undefined;
  if (vr) return 'explicit-le';
  // Implicit VR: a 4-byte length follows the tag; group 0008's first elements are short.
  return buf[7] === 0 && buf[6] === 0 ? 'implicit-le' : undefined;
}

/** True when the buffer holds a DICOM file (content sniffing, not the file name). */
export function isDicom(buf: Uint8Array): boolean {
  return layout(buf) !== undefined;
}

let parserModule: Promise<DicomParserModule> | undefined;
function loadParser(): Promise<DicomParserModule> {
  parserModule ??= import('dicom-parser').then((m) => {
    const mod = m as unknown as { default?: DicomParserModule } & DicomParserModule;
    return mod.default ?? mod;
  });
  return parserModule;
}

/** dicom-parser throws strings or { exception, dataSet }; reduce them to one line. */
function parserMessage(e: unknown): string {
  const inner = (e as { exception?: unknown } | null)?.exception ?? e;
  const msg = inner instanceof Error ? inner.message : String(inner);
  return msg.split('\n')[0]!.replace(/^dicomParser[.:]\w+: /, '').trim();
}

/** Inflate the deflated data set of transfer syntax 1.2.840.10008.1.2.1.99 (raw deflate). */
function inflater(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateSync(bytes.subarray(position));
  const out = new Uint8Array(position + inflated.length);
  out.set(bytes.subarray(0, position));
  out.set(inflated, position);
  return out;
}

async function parseDataSet(buf: Uint8Array, name: string): Promise<DataSet> {
  const kind = layout(buf);
  if (kind === undefined) throw new Error(`${name}: not a DICOM file`);
  let bytes = buf;
  const options: { inflater: typeof inflater; TransferSyntaxUID?: string } = { inflater };
  if (kind === 'no-preamble') {
    bytes = new Uint8Array(PREAMBLE + 4 + buf.length);
    bytes.set([0x44, 0x49, 0x43, 0x4d], PREAMBLE);
    bytes.set(buf, PREAMBLE + 4);
  } else if (kind !== 'part10') {
    options.TransferSyntaxUID = kind === 'explicit-le' ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2';
  }
  const parser = await loadParser();
  try {
    return parser.parseDicom(bytes, options);
  } catch (e) {
    const msg = parserMessage(e);
    const truncated = /overrun|past end|end of buffer/i.test(msg);
    throw new Error(`${name}: ${truncated ? 'truncated DICOM file' : 'cannot parse DICOM'} (${msg})`);
  }
}

function pixelData(ds: DataSet, el: Element): PixelData {
  const arr = ds.byteArray;
  if (el.encapsulatedPixelData) {
    const fragments = (el.fragments ?? []).map((f) => ({
      offset: f.offset,
      data: arr.subarray(f.position, f.position + f.length),
    }));
    return { kind: 'encapsulated', fragments, offsets: el.basicOffsetTable ?? [] };
  }
  const end = Math.min(arr.length, el.dataOffset + el.length);
  return { kind: 'native', bytes: arr.subarray(el.dataOffset, end), length: el.length, vr: el.vr };
}

/** Parse a DICOM buffer into the attributes of its image. Errors are one line naming `name`. */
export async function parseDicomImage(buf: Uint8Array, name: string): Promise<DicomImage> {
  const ds = await parseDataSet(buf, name);
  const tsUid = ds.string('x00020010')?.replace(/\0/g, '').trim() ?? '1.2.840.10008.1.2';
  const syntax = transferSyntax(tsUid);
  const us = (tag: string, what: string, fallback?: number): number => {
    const v = ds.uint16(tag) ?? fallback;
    if (v === undefined) throw new Error(`${name}: missing ${what} (${tag.slice(1, 5)},${tag.slice(5)})`);
    return v;
  };
  const el = ds.elements.x7fe00010;
  if (!el) throw new Error(`${name}: no pixel data (7fe0,0010) — not an image`);
  const rows = us('x00280010', 'Rows');
  const columns = us('x00280011', 'Columns');
  const samplesPerPixel = us('x00280002', 'Samples per Pixel', 1);
  const bitsAllocated = us('x00280100', 'Bits Allocated');
  const bitsStored = us('x00280101', 'Bits Stored', bitsAllocated);
  const highBit = us('x00280102', 'High Bit', bitsStored - 1);
  const signed = us('x00280103', 'Pixel Representation', 0) === 1;
  const photometric = (ds.string('x00280004') ?? (samplesPerPixel === 1 ? 'MONOCHROME2' : 'RGB')).toUpperCase();
  const planar = us('x00280006', 'Planar Configuration', 0) === 1;
  const framesText = ds.string('x00280008');
  const frames = framesText === undefined || framesText === '' ? 1 : Number(framesText);
  if (!Number.isInteger(frames) || frames < 1) throw new Error(`${name}: invalid Number of Frames '${framesText}'`);
  if (rows < 1 || columns < 1) throw new Error(`${name}: invalid image size ${columns}x${rows}`);
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw new Error(`${name}: inconsistent Bits Allocated/Stored/High Bit ${bitsAllocated}/${bitsStored}/${highBit}`);
  }

  const slope = ds.floatString('x00281053');
  const intercept = ds.floatString('x00281052');
  const center = ds.floatString('x00281050');
  const width = ds.floatString('x00281051');
  const fn = (ds.string('x00281056') ?? 'LINEAR').toUpperCase();
  const hasRescale = (slope !== undefined && slope !== 1) || (intercept !== undefined && intercept !== 0);
  const palette = photometric === 'PALETTE COLOR' ? readPalette(ds, signed, name) : undefined;
  return {
    syntax,
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    signed,
    photometric,
    planar,
    frames,
    ...(hasRescale ? { rescale: { slope: slope ?? 1, intercept: intercept ?? 0 } } : {}),
    ...(center !== undefined && width !== undefined && Number.isFinite(center) && width > 0
      ? { window: { center, width, fn } }
      : {}),
    ...(palette ? { palette } : {}),
    pixel: pixelData(ds, el),
  };
}
