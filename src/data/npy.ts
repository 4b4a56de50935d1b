/**
 * NumPy `.npy` reading (format versions 1, 2 and 3) into HostTensor, and writing.
 * Fortran-ordered arrays are transposed to C order; big-endian data is byte-swapped.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../checkpoint/atomic.js';
import type { DType, TypedArrayFor } from '../core/dtype.js';
import { BYTES_PER_ELEMENT } from '../core/dtype.js';
import type { HostTensor } from '../core/host.js';
import { hostTensor, numel, toFloat32 } from '../core/host.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Stored element kinds: on-disk size and the HostTensor dtype they load as. */
interface StoredType {
  readonly bytes: number;
  readonly dtype: DType;
  /** Reads element `i` (little-endian view) into the output array. */
  readonly read: (v: DataView, off: number, le: boolean) => number | bigint;
}

const STORED: Readonly<Record<string, StoredType>> = {
  f4: { bytes: 4, dtype: 'float32', read: (v, o, le) => v.getFloat32(o, le) },
  f8: { bytes: 8, dtype: 'float64', read: (v, o, le) => v.getFloat64(o, le) },
  f2: { bytes: 2, dtype: 'float16', read: (v, o, le) => v.getUint16(o, le) },
  i8: { bytes: 8, dtype: 'int64', read: (v, o, le) => v.getBigInt64(o, le) },
  u4: { bytes: 4, dtype: 'int64', read: (v, o, le) => BigInt(v.getUint32(o, le)) },
  i4: { bytes: 4, dtype: 'int32', read: (v, o, le) => v.getInt32(o, le) },
  i2: { bytes: 2, dtype: 'int32', read: (v, o, le) => v.getInt16(o, le) },
  u2: { bytes: 2, dtype: 'int32', read: (v, o, le) => v.getUint16(o, le) },
  u1: { bytes: 1, dtype: 'uint8', read: (v, o) => v.getUint8(o) },
  i1: { bytes: 1, dtype: 'int8', read: (v, o) => v.getInt8(o) },
  b1: { bytes: 1, dtype: 'bool', read: (v, o) => (v.getUint8(o) ? 1 : 0) },
};

interface NpyHeader {
  readonly descr: string;
  readonly fortran: boolean;
  readonly shape: number[];
}

function parseHeader(text: string): NpyHeader {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`malformed header ${JSON.stringify(text.trim())}`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const d = Number(s.replace(/L$/, ''));
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`bad shape (${shapeText})`);
    return d;
  });
  return { descr, fortran: fortran === 'True', shape };
}

/** Reorder Fortran-ordered (column-major) elements to row-major. */
function fortranToC<T extends { length: number; [i: number]: number | bigint }>(src: T, dst: T, shape: readonly number[]): void {
  const nd = shape.length;
  const n = numel(shape);
  const fStride = new Array<number>(nd);
  let s = 1;
  for (let i = 0; i < nd; i++) { fStride[i] = s; s *= shape[i]!; }
  const idx = new Array<number>(nd).fill(0);
  let f = 0;
  for (let c = 0; c < n; c++) {
    dst[c] = src[f]!;
    for (let ax = nd - 1; ax >= 0; ax--) {
      idx[ax]!++;
      f += fStride[ax]!;
      if (idx[ax]! < shape[ax]!) break;
      f -= fStride[ax]! * shape[ax]!;
      idx[ax] = 0;
    }
  }
}

/** Parse an in-memory `.npy` file; `name` is used in error messages. */
export function parseNpy(buf: Uint8Array, name = '<buffer>'): HostTensor {
  const fail = (msg: string): never => { throw new Error(`${name}: ${msg}`); };
  if (buf.length === 0) fail('empty file');
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) fail('not a .npy file (bad magic)');
  const major = buf[6]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) { headerLen = view.getUint16(8, true); headerStart = 10; }
  else if (major === 2 || major === 3) {
    if (buf.length < 12) fail('truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else return fail(`unsupported .npy format version ${major}.${buf[7]}`);
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) fail('truncated header');
  const headerBytes = buf.subarray(headerStart, dataStart);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  let header: NpyHeader;
  try { header = parseHeader(text); } catch (e) { return fail((e as Error).message); }
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(header.descr);
  const stored = m ? STORED[`${m[2]}${m[3]}`] : undefined;
  if (!m || !stored) return fail(`unsupported dtype '${header.descr}'`);
  const le = m[1] !== '>';
  const n = numel(header.shape);
  const need = n * stored.bytes;
  if (buf.length - dataStart < need) {
    fail(`truncated data: shape (${header.shape.join(', ')}) of '${header.descr}' needs ${need} bytes, file has ${buf.length - dataStart}`);
  }
  const t = hostTensor(stored.dtype, header.shape);
  const out = t.data as { [i: number]: number | bigint };
  const dv = new DataView(buf.buffer, buf.byteOffset + dataStart, need);
  for (let i = 0, o = 0; i < n; i++, o += stored.bytes) out[i] = stored.read(dv, o, le);
  if (!header.fortran || header.shape.length < 2) return t;
  const c = hostTensor(stored.dtype, header.shape);
  fortranToC(t.data as TypedArrayFor['float64'], c.data as TypedArrayFor['float64'], header.shape);
  return c;
}

/** Read a `.npy` file into a HostTensor. Errors are one line starting with the file name. */
export async function readNpy(path: string): Promise<HostTensor> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read file (${(e as Error).message})`}`);
  }
  return parseNpy(buf, path);
}

const DESCR: Readonly<Partial<Record<DType, string>>> = {
  float32: '<f4', float64: '<f8', float16: '<f2', int64: '<i8', int32: '<i4', uint8: '|u1', int8: '|i1', bool: '|b1',
};

/** Encode a tensor as a version-1 `.npy` file (bfloat16 is widened to float32). */
export function encodeNpy(tensor: HostTensor): Uint8Array {
  const t = tensor.dtype === 'bfloat16' ? toFloat32(tensor) : tensor;
  const descr = DESCR[t.dtype];
  if (descr === undefined) throw new Error(`encodeNpy: unsupported dtype ${t.dtype}`);
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  if (header.length > 0xffff) throw new Error('encodeNpy: header too long');
  const bytes = numel(t.shape) * BYTES_PER_ELEMENT[t.dtype];
  const out = new Uint8Array(total + bytes);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Typed arrays are little-endian on every platform Node supports.
  const src = t.data;
  out.set(new Uint8Array(src.buffer, src.byteOffset, bytes), total);
  return out;
}

/** Write a tensor to a `.npy` file atomically: a crash or failure leaves any previous file intact. */
export async function writeNpy(path: string, tensor: HostTensor): Promise<void> {
  await writeFileAtomic(path, [encodeNpy(tensor)]);
}
