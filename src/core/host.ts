import type { DType, TypedArrayFor } from './dtype.js';
import { allocTyped } from './dtype.js';

/** A concrete tensor in host memory: row-major, contiguous. */
export interface HostTensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayFor[D];
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function hostTensor<D extends DType>(dtype: D, shape: readonly number[], data?: TypedArrayFor[D]): HostTensor<D> {
  const n = numel(shape);
  const buf = data ?? allocTyped(dtype, n);
  if (buf.length !== n) throw new Error(`hostTensor: ${dtype}[${shape.join(',')}] needs ${n} elements, got ${buf.length}`);
  return { dtype, shape: [...shape], data: buf };
}

/** float16 bits → float32 value. */
export function halfToFloat(h: number): number {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value → float16 bits, round to nearest even. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++; // a carry into the exponent is correct rounding
  return sign | half;
}

/** float32 value → bfloat16 bits, round to nearest even (NaN stays NaN). */
export function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if (Number.isNaN(v)) return 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bfloat16 bits → float32 value. */
export function bf16ToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

/** Convert any float host tensor to float32 (copying; float32 input is returned as is). */
export function toFloat32(t: HostTensor): HostTensor<'float32'> {
  if (t.dtype === 'float32') return t as HostTensor<'float32'>;
  const n = numel(t.shape);
  const out = new Float32Array(n);
  const src = t.data;
  switch (t.dtype) {
    case 'float16': for (let i = 0; i < n; i++) out[i] = halfToFloat((src as Uint16Array)[i]!); break;
    case 'bfloat16': for (let i = 0; i < n; i++) out[i] = bf16ToFloat((src as Uint16Array)[i]!); break;
    case 'int64': for (let i = 0; i < n; i++) out[i] = Number((src as BigInt64Array)[i]!); break;
    default: for (let i = 0; i < n; i++) out[i] = Number((src as Float64Array)[i]!);
  }
  return { dtype: 'float32', shape: [...t.shape], data: out };
}
