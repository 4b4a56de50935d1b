/**
 * Just enough of numpy to read scalars that training loops leave in
 * checkpoints (`best_acc: np.float64(0.93)`): `numpy.dtype(...)` plus its
 * BUILD state, and `numpy.core.multiarray.scalar(dtype, bytes)`.
 */
import { halfToFloat } from '../core/host.js';
import { PyHostObject, describe, isTuple } from './pickle-values.js';
import type { GlobalSpec, PickleValue } from './pickle-values.js';

export class NumpyDType extends PyHostObject {
  readonly pyType = 'numpy.dtype';
  littleEndian = true;

  constructor(readonly code: string) {
    super();
  }

  /** State is `(version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])`. */
  override build(state: PickleValue): void {
    if (!isTuple(state) || typeof state[1] !== 'string') throw new Error(`unexpected numpy.dtype state ${describe(state)}`);
    if (state[3] !== null && state[3] !== undefined) throw new Error('structured numpy dtypes are not supported');
    this.littleEndian = state[1] !== '>';
  }
}

function makeDType(args: readonly PickleValue[]): PickleValue {
  const code = args[0];
  if (typeof code !== 'string') throw new Error(`expected a dtype code, got ${describe(code)}`);
  return new NumpyDType(code);
}

function makeScalar(args: readonly PickleValue[]): PickleValue {
  const [dt, raw] = args;
  if (!(dt instanceof NumpyDType)) throw new Error(`expected a numpy.dtype, got ${describe(dt)}`);
  if (!(raw instanceof Uint8Array)) throw new Error(`expected bytes, got ${describe(raw)}`);
  const size = Number(dt.code.slice(1));
  if (raw.length !== size) throw new Error(`numpy ${dt.code} scalar needs ${size} bytes, got ${raw.length}`);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = dt.littleEndian;
  switch (dt.code) {
    case 'f2': return halfToFloat(v.getUint16(0, le));
    case 'f4': return v.getFloat32(0, le);
    case 'f8': return v.getFloat64(0, le);
    case 'i1': return v.getInt8(0);
    case 'i2': return v.getInt16(0, le);
    case 'i4': return v.getInt32(0, le);
    case 'u1': return v.getUint8(0);
    case 'u2': return v.getUint16(0, le);
    case 'u4': return v.getUint32(0, le);
    case 'b1': return v.getUint8(0) !== 0;
    case 'i8': case 'u8': {
      const b = dt.code === 'i8' ? v.getBigInt64(0, le) : v.getBigUint64(0, le);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    }
    default: throw new Error(`numpy scalar of dtype ${dt.code} is not supported`);
  }
}

/** `_codecs.encode(text, 'latin1')`: how protocol 2 pickles `bytes`. */
function codecsEncode(args: readonly PickleValue[]): PickleValue {
  const [text, encoding] = args;
  if (typeof text !== 'string') throw new Error(`expected str, got ${describe(text)}`);
  const enc = typeof encoding === 'string' ? encoding.toLowerCase().replace('_', '-') : 'utf-8';
  if (enc === 'utf-8' || enc === 'utf8') return new TextEncoder().encode(text);
  if (enc !== 'latin1' && enc !== 'latin-1' && enc !== 'iso-8859-1') throw new Error(`encoding ${String(encoding)} is not supported`);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new Error('text is not latin-1');
    out[i] = c;
  }
  return out;
}

/** Allowlist entries for numpy scalars and `_codecs.encode`. */
export const NUMPY_GLOBALS: ReadonlyArray<readonly [string, GlobalSpec]> = [
  ['numpy.dtype', { call: makeDType }],
  ['numpy.core.multiarray.scalar', { call: makeScalar }],
  ['numpy._core.multiarray.scalar', { call: makeScalar }],
  ['_codecs.encode', { call: codecsEncode }],
];

