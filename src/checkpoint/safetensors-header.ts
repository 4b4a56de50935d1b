/**
 * The safetensors header: encoding, parsing and validation, following
 * https://github.com/huggingface/safetensors (8-byte little-endian header
 * length, JSON header, tightly packed little-endian tensor bytes).
 */
import type { DType } from '../core/dtype.js';
import { BYTES_PER_ELEMENT } from '../core/dtype.js';
import type { HostTensor } from '../core/host.js';
import { setOwn } from './set-own.js';

export const SAFETENSORS_DTYPE: Readonly<Record<DType, string>> = {
  float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F64',
  int64: 'I64', int32: 'I32', uint8: 'U8', int8: 'I8', bool: 'BOOL',
};

const FROM_CODE = new Map<string, DType>(Object.entries(SAFETENSORS_DTYPE).map(([d, c]) => [c, d as DType]));

/** The reference implementation refuses headers above 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Byte range inside the data region (after the header), end exclusive. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Record<string, string>;
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse and validate a header whose data region holds `dataBytes` bytes.
 * Throws an Error naming the offending key; the caller adds the file name.
 */
export function parseSafetensorsHeader(json: string, dataBytes: number): SafetensorsHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new Error(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(raw)) throw new Error('header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (name === '__metadata__') {
      if (!isRecord(value)) throw new Error('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new Error(`__metadata__ value for "${k}" is not a string`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const bad = (why: string): never => {
      throw new Error(`tensor "${name}": ${why}`);
    };
    if (!isRecord(value)) bad('entry is not an object');
    const { dtype: code, shape, data_offsets: offsets } = value as Record<string, unknown>;
    const dtype = typeof code === 'string' ? FROM_CODE.get(code) : undefined;
    if (!dtype) bad(`unsupported dtype ${JSON.stringify(code)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad('shape is not a list of non-negative integers');
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      bad('data_offsets is not a pair of non-negative integers');
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) bad(`data_offsets [${begin}, ${end}] are reversed`);
    if (end > dataBytes) bad(`data_offsets [${begin}, ${end}] end past the data region (${dataBytes} bytes)`);
    const dims = shape as number[];
    const need = elementCount(dims) * BYTES_PER_ELEMENT[dtype!];
    if (end - begin !== need) bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${code}[${dims.join(', ')}] needs ${need}`);
    entries.push({ name, dtype: dtype!, shape: dims, begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: SafetensorsEntry | undefined;
  for (const e of sorted) {
    if (e.begin < cursor) throw new Error(`tensor "${e.name}" overlaps tensor "${prev!.name}"`);
    if (e.begin > cursor) throw new Error(`tensor "${e.name}": gap of ${e.begin - cursor} unused bytes before it`);
    cursor = e.end;
    prev = e;
  }
  if (cursor !== dataBytes) throw new Error(`data region has ${dataBytes - cursor} bytes after the last tensor`);
  return { entries, metadata };
}

/**
 * Lay out `tensors` back to back in the given order and encode the header,
 * padded with spaces so the data region starts 8-byte aligned.
 * Returns the full prefix: the 8-byte length followed by the header.
 */
export function encodeSafetensorsHeader(
  tensors: ReadonlyArray<readonly [string, HostTensor]>,
  metadata: Readonly<Record<string, string>>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`metadata value for "${k}" is not a string`);
    }
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) setOwn(meta, k, v);
    header['__metadata__'] = meta;
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__' || name === '') throw new Error(`invalid tensor name "${name}"`);
    if (Object.hasOwn(header, name)) throw new Error(`duplicate tensor name "${name}"`);
    const n = elementCount(t.shape);
    if (t.data.length !== n) throw new Error(`tensor "${name}": ${t.dtype}[${t.shape.join(', ')}] needs ${n} elements, has ${t.data.length}`);
    const bytes = n * BYTES_PER_ELEMENT[t.dtype];
    setOwn(header, name, { dtype: SAFETENSORS_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes] });
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}
