/**
 * Write PyTorch `.pth` checkpoints the way `torch.save` does, so that
 * `torch.load` (also with `weights_only=True`) and `model.load_state_dict`
 * accept them: a stored (uncompressed) zip `<archive>/data.pkl`,
 * `<archive>/byteorder`, `<archive>/data/<n>` (one storage per tensor, each
 * record's bytes aligned to 64 like torch), `<archive>/version`; ZIP64 records
 * only when offsets, sizes or the entry count need them. `data.pkl` is a
 * protocol-2 pickle using only opcodes and globals that torch's weights-only
 * unpickler and our own restricted unpickler accept. Tensor bytes are streamed
 * straight from the tensors' own buffers (never concatenated), through
 * writeFileAtomic. Assumes a little-endian host, like safetensors.ts.
 */
import { basename, extname } from 'node:path';
import type { AnyTypedArray, DType } from '../core/dtype.js';
import type { HostTensor } from '../core/host.js';
import { writeFileAtomic } from './atomic.js';
import { crc32 } from './crc32.js';
import { CheckpointError } from './errors.js';
import { OP } from './pickle-opcodes.js';
import { SIG_CENTRAL, SIG_EOCD, SIG_LOCAL, SIG_ZIP64_EOCD, SIG_ZIP64_LOCATOR } from './zip.js';

/** A top-level value beside the wrapped state dict: integral numbers become Python ints, other numbers floats. */
export type PthExtraValue = number | string | boolean;

export interface PthWriteOptions {
  /** Save `{[wrap]: state_dict, ...extra}` (SimMIM's `'model'`) instead of the bare state dict. */
  readonly wrap?: string;
  /** Folder inside the zip. Default: the file's base name without extension, as torch does ('archive' if unusable). */
  readonly archiveName?: string;
  /**
   * Further top-level entries (epoch, ...); needs `wrap`, since a bare state dict holds tensors only.
   * Float values are pickled as BINFLOAT, which torch < 2.0's `weights_only=True` loader refuses.
   */
  readonly extra?: Readonly<Record<string, PthExtraValue>>;
}

/** Thresholds at which ZIP64 fields take over; lowered only by tests to exercise the ZIP64 paths on small files. */
export interface Zip64Limits {
  readonly bytes: number;
  readonly entries: number;
}

const ZIP64_LIMITS: Zip64Limits = { bytes: 0xffffffff, entries: 0xffff };
const ALIGN = 64;
const CRC_CHUNK = 1 << 28;
const SETITEMS_BATCH = 1000;

type ArrayType = abstract new (...args: never[]) => AnyTypedArray;

/** Each dtype's torch storage class and typed-array type. */
const STORAGE: Readonly<Record<DType, readonly [string, ArrayType]>> = {
  float32: ['FloatStorage', Float32Array], float16: ['HalfStorage', Uint16Array], bfloat16: ['BFloat16Storage', Uint16Array],
  float64: ['DoubleStorage', Float64Array], int64: ['LongStorage', BigInt64Array], int32: ['IntStorage', Int32Array],
  uint8: ['ByteStorage', Uint8Array], int8: ['CharStorage', Int8Array], bool: ['BoolStorage', Uint8Array],
};

const utf8 = new TextEncoder();

/** Just enough of a protocol-2 pickler for a torch state dict. */
class Pickler {
  private buf = new Uint8Array(1 << 12);
  private len = 0;
  private readonly memo = new Map<string, number>();

  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  op(...codes: number[]): void {
    const at = this.reserve(codes.length);
    this.buf.set(codes, at);
  }

  private raw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length); // before reading this.buf: reserve may replace it
    this.buf.set(bytes, at);
  }

  private u32(op: number, n: number): void {
    const at = this.reserve(5);
    this.buf[at] = op;
    new DataView(this.buf.buffer).setUint32(at + 1, n, true);
  }

  str(s: string): void {
    const b = utf8.encode(s);
    this.u32(OP.BINUNICODE, b.length);
    this.raw(b);
  }

  int(n: number | bigint): void {
    if (typeof n === 'number' && n >= 0 && n < 0x100) this.op(OP.BININT1, n);
    else if (typeof n === 'number' && n >= 0 && n < 0x10000) this.op(OP.BININT2, n & 0xff, n >>> 8);
    else if (typeof n === 'number' && n >= -0x80000000 && n < 0x80000000) this.u32(OP.BININT, n >>> 0);
    else {
      // LONG1: little-endian two's complement in as few bytes as keep the sign
      let v = BigInt(n);
      const bytes: number[] = [];
      for (;;) {
        const b = Number(v & 0xffn);
        bytes.push(b);
        v >>= 8n;
        if ((v === 0n && !(b & 0x80)) || (v === -1n && b & 0x80)) break;
      }
      this.op(OP.LONG1, bytes.length, ...bytes);
    }
  }

  float(x: number): void {
    const at = this.reserve(9);
    this.buf[at] = OP.BINFLOAT;
    new DataView(this.buf.buffer).setFloat64(at + 1, x, false);
  }

  tuple(items: readonly number[]): void {
    if (items.length === 0) return this.op(OP.EMPTY_TUPLE);
    if (items.length > 3) this.op(OP.MARK);
    for (const x of items) this.int(x);
    this.op(items.length === 1 ? OP.TUPLE1 : items.length === 2 ? OP.TUPLE2 : items.length === 3 ? OP.TUPLE3 : OP.TUPLE);
  }

  /**
   * Push a value that recurs (a global, a constant string): emitted and memoised once, fetched
   * afterwards. At most 13 such values exist (4 + one per storage class), so one-byte ids suffice.
   */
  memoised(key: string, emit: () => void): void {
    const known = this.memo.get(key);
    if (known !== undefined) return this.op(OP.BINGET, known);
    emit();
    this.memo.set(key, this.memo.size);
    this.op(OP.BINPUT, this.memo.size - 1);
  }

  global(module: string, name: string): void {
    this.memoised(`global:${module}.${name}`, () => {
      this.op(OP.GLOBAL);
      this.raw(utf8.encode(`${module}\n${name}\n`));
    });
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

interface Prepared {
  readonly name: string;
  readonly tensor: HostTensor;
  readonly numel: number;
}

/** Row-major strides as torch computes them (a 0-sized dimension counts as 1). */
function contiguousStrides(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return stride;
}

function prepare(name: unknown, t: HostTensor): Prepared {
  if (typeof name !== 'string') throw new Error(`tensor names must be strings (got ${typeof name})`);
  const what = `tensor "${name}"`;
  if (!Object.hasOwn(STORAGE, t.dtype)) throw new Error(`${what}: unsupported dtype ${String(t.dtype)}`);
  let numel = 1;
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${what}: bad shape [${t.shape.join(', ')}]`);
    numel *= d;
  }
  if (!(t.data instanceof STORAGE[t.dtype][1])) throw new Error(`${what}: ${t.dtype} data must not be a ${t.data.constructor.name}`);
  if (t.data.length !== numel) {
    throw new Error(`${what}: ${t.dtype}[${t.shape.join(', ')}] needs ${numel} elements, got ${t.data.length}`);
  }
  if (t.dtype === 'bool' && (t.data as Uint8Array).some((b) => b > 1)) throw new Error(`${what}: bool values must be 0 or 1`);
  return { name, tensor: t, numel };
}

function buildPickle(tensors: readonly Prepared[], opts: PthWriteOptions): Uint8Array {
  const p = new Pickler();
  p.op(OP.PROTO, 2);
  if (opts.wrap !== undefined) {
    p.op(OP.EMPTY_DICT, OP.MARK);
    p.str(opts.wrap);
  }
  // The state dict: OrderedDict() filled by SETITEMS in batches, as pickle itself batches them.
  p.global('collections', 'OrderedDict');
  p.op(OP.EMPTY_TUPLE, OP.REDUCE);
  tensors.forEach(({ name, tensor, numel }, key) => {
    if (key % SETITEMS_BATCH === 0) p.op(OP.MARK);
    p.str(name);
    // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(OP.MARK, OP.MARK);
    p.memoised('str:storage', () => p.str('storage'));
    p.global('torch', STORAGE[tensor.dtype][0]);
    p.str(String(key));
    p.memoised('str:cpu', () => p.str('cpu'));
    p.int(numel);
    p.op(OP.TUPLE, OP.BINPERSID);
    p.int(0);
    p.tuple(tensor.shape);
    p.tuple(contiguousStrides(tensor.shape));
    p.op(OP.NEWFALSE);
    p.global('collections', 'OrderedDict');
    p.op(OP.EMPTY_TUPLE, OP.REDUCE, OP.TUPLE, OP.REDUCE);
    if (key % SETITEMS_BATCH === SETITEMS_BATCH - 1 || key === tensors.length - 1) p.op(OP.SETITEMS);
  });
  if (opts.wrap !== undefined) {
    for (const [k, v] of Object.entries(opts.extra ?? {})) {
      p.str(k);
      if (typeof v === 'string') p.str(v);
      else if (typeof v === 'boolean') p.op(v ? OP.NEWTRUE : OP.NEWFALSE);
      else if (typeof v === 'number' && Number.isInteger(v)) p.int(Number.isSafeInteger(v) ? v : BigInt(v));
      else if (typeof v === 'number') p.float(v);
      else throw new Error(`extra "${k}": expected a number, string or boolean, got ${typeof v}`);
    }
    p.op(OP.SETITEMS);
  }
  p.op(OP.STOP);
  return p.bytes();
}

// ---------------------------------------------------------------- zip

const FLAG_UTF8 = 0x0800;
const DOS_DATE_1980_01_01 = 0x21;
const SAT16 = 0xffff;
const SAT32 = 0xffffffff;

type Field = readonly [2 | 4 | 8, number];

/** Little-endian fields, then raw tails (name, extra fields). */
function record(fields: readonly Field[], ...tails: Uint8Array[]): Uint8Array {
  const head = fields.reduce((s, [n]) => s + n, 0);
  const out = new Uint8Array(head + tails.reduce((s, t) => s + t.length, 0));
  const v = new DataView(out.buffer);
  let at = 0;
  for (const [n, x] of fields) {
    if (n === 2) v.setUint16(at, x, true);
    else if (n === 4) v.setUint32(at, x, true);
    else v.setBigUint64(at, BigInt(x), true);
    at += n;
  }
  for (const t of tails) {
    out.set(t, at);
    at += t.length;
  }
  return out;
}

/** The ZIP64 extended-information extra field holding `values` (only those whose 32-bit slots are saturated). */
function zip64Extra(values: readonly number[]): Uint8Array {
  return values.length ? record([[2, 0x0001], [2, 8 * values.length], ...values.map((x): Field => [8, x])]) : new Uint8Array(0);
}

interface ZipItem {
  readonly name: string;
  readonly data: Uint8Array;
}

function crcOf(data: Uint8Array): number {
  let crc = 0;
  for (let at = 0; at < data.length; at += CRC_CHUNK) crc = crc32(data.subarray(at, at + CRC_CHUNK), crc);
  return crc;
}

/**
 * A stored zip of `items`, lazily: each item's CRC is computed just before its
 * local header is produced, and its bytes are yielded as they are (no copy).
 */
function* zipStream(items: readonly ZipItem[], limits: Zip64Limits): Generator<Uint8Array> {
  const central: Uint8Array[] = [];
  let pos = 0;
  for (const { name, data } of items) {
    const nameBytes = utf8.encode(name);
    const size = data.length;
    const bigSize = size >= limits.bytes;
    const bigOffset = pos >= limits.bytes;
    const version = bigSize || bigOffset ? 45 : 20;
    const crc = crcOf(data);
    const z64Local = zip64Extra(bigSize ? [size, size] : []);
    // torch's alignment: an extra field "FB" padded with 'Z' so the data starts at a multiple of 64
    const start = pos + 30 + nameBytes.length + z64Local.length + 4;
    const pad = (ALIGN - (start % ALIGN)) % ALIGN;
    const fb = record([[2, 0x4246], [2, pad]], new Uint8Array(pad).fill(0x5a));
    const sizeField = bigSize ? SAT32 : size;
    const local = record([[4, SIG_LOCAL], [2, version], [2, FLAG_UTF8], [2, 0], [2, 0], [2, DOS_DATE_1980_01_01], [4, crc],
      [4, sizeField], [4, sizeField], [2, nameBytes.length], [2, z64Local.length + fb.length]], nameBytes, z64Local, fb);
    const z64Central = zip64Extra([...(bigSize ? [size, size] : []), ...(bigOffset ? [pos] : [])]);
    central.push(record([[4, SIG_CENTRAL], [2, version], [2, version], [2, FLAG_UTF8], [2, 0], [2, 0], [2, DOS_DATE_1980_01_01],
      [4, crc], [4, sizeField], [4, sizeField], [2, nameBytes.length], [2, z64Central.length], [2, 0], [2, 0], [2, 0], [4, 0],
      [4, bigOffset ? SAT32 : pos]], nameBytes, z64Central));
    yield local;
    pos += local.length;
    if (size) yield data;
    pos += size;
  }
  const cdStart = pos;
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  yield record([], ...central);
  pos += cdSize;
  const count = items.length;
  const zip64 = count >= limits.entries || cdSize >= limits.bytes || cdStart >= limits.bytes;
  if (zip64) {
    yield record([[4, SIG_ZIP64_EOCD], [8, 44], [2, 45], [2, 45], [4, 0], [4, 0], [8, count], [8, count], [8, cdSize], [8, cdStart]]);
    yield record([[4, SIG_ZIP64_LOCATOR], [4, 0], [8, pos], [4, 1]]);
  }
  const n16 = count >= limits.entries ? SAT16 : count;
  yield record([[4, SIG_EOCD], [2, 0], [2, 0], [2, n16], [2, n16], [4, cdSize >= limits.bytes ? SAT32 : cdSize],
    [4, cdStart >= limits.bytes ? SAT32 : cdStart], [2, 0]]);
}

// ---------------------------------------------------------------- API

const validArchiveName = (name: string): boolean => name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);

/** torch's choice: the file's base name without its extension. */
function defaultArchiveName(path: string): string {
  const base = basename(path, extname(path));
  return validArchiveName(base) ? base : 'archive';
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The bytes of a `.pth` file, as a lazy sequence of chunks (tensor chunks are
 * views of the tensors' own buffers). Everything is validated before this
 * returns; tensors must not change until the sequence has been consumed.
 */
export function encodePth(
  tensors: ReadonlyMap<string, HostTensor> | Iterable<readonly [string, HostTensor]>,
  opts: PthWriteOptions = {},
  limits: Zip64Limits = ZIP64_LIMITS,
): Iterable<Uint8Array> {
  if (!LITTLE_ENDIAN) throw new Error('writing .pth files needs a little-endian host');
  if (opts.wrap !== undefined && typeof opts.wrap !== 'string') throw new Error('wrap must be a string');
  const extraKeys = Object.keys(opts.extra ?? {});
  if (opts.wrap === undefined && extraKeys.length) {
    throw new Error(`extra entries (${extraKeys.join(', ')}) need a wrapped state dict (the wrap option)`);
  }
  if (opts.wrap !== undefined && extraKeys.includes(opts.wrap)) throw new Error(`extra entry "${opts.wrap}" collides with the wrapped state dict`);
  const archive = opts.archiveName ?? 'archive';
  if (!validArchiveName(archive)) throw new Error(`bad archive name "${archive}"`);
  const list: Prepared[] = [];
  const seen = new Set<string>();
  for (const [name, t] of tensors) {
    const p = prepare(name, t);
    if (seen.has(p.name)) throw new Error(`duplicate tensor name "${p.name}"`);
    seen.add(p.name);
    list.push(p);
  }
  const items: ZipItem[] = [
    { name: `${archive}/data.pkl`, data: buildPickle(list, opts) },
    { name: `${archive}/byteorder`, data: utf8.encode('little') },
    ...list.map(({ tensor: { data } }, i) => ({ name: `${archive}/data/${i}`, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) })),
    { name: `${archive}/version`, data: utf8.encode('3\n') },
  ];
  return { [Symbol.iterator]: () => zipStream(items, limits) };
}

/**
 * Save `tensors` (in iteration order) as a torch checkpoint at `path`,
 * atomically: the state dict is a `collections.OrderedDict` (optionally wrapped,
 * e.g. `{'model': state_dict, 'epoch': 3}`), each tensor contiguous in its own
 * storage. Invalid input throws a CheckpointError before anything is written;
 * file-system failures read `<path>: cannot write (<reason>)` and leave no file behind.
 */
export async function writePth(
  path: string,
  tensors: ReadonlyMap<string, HostTensor> | Iterable<readonly [string, HostTensor]>,
  opts: PthWriteOptions = {},
): Promise<void> {
  let chunks: Iterable<Uint8Array>;
  try {
    chunks = encodePth(tensors, { ...opts, archiveName: opts.archiveName ?? defaultArchiveName(path) });
  } catch (e) {
    throw new CheckpointError(path, `cannot save (${(e as Error).message})`, 'unsupported');
  }
  await writeFileAtomic(path, chunks);
}
