/**
 * Turn TensorRefs into contiguous HostTensors, reading each storage entry of
 * the archive exactly once. A tensor that is the sole user of a whole
 * little-endian storage adopts the buffer without copying; contiguous views
 * are one native slice; strided views are gathered.
 */
import type { AnyTypedArray, DType } from '../core/dtype.js';
import { allocTyped } from '../core/dtype.js';
import type { HostTensor } from '../core/host.js';
import { CheckpointError } from './errors.js';
import type { StorageDType, StorageRef, TensorRef } from './torch-refs.js';
import { STORAGE_ELEMENT_SIZE } from './torch-refs.js';
import type { ZipArchive } from './zip.js';
import { MAX_DEFLATE_RATIO } from './zip.js';

interface Elems { [index: number]: number | bigint }

function typedView(dtype: StorageDType, buf: ArrayBuffer, n: number): { dtype: DType; data: AnyTypedArray } {
  switch (dtype) {
    case 'float32': return { dtype, data: new Float32Array(buf, 0, n) };
    case 'float16': case 'bfloat16': return { dtype, data: new Uint16Array(buf, 0, n) };
    case 'float64': return { dtype, data: new Float64Array(buf, 0, n) };
    case 'int64': return { dtype, data: new BigInt64Array(buf, 0, n) };
    case 'int32': return { dtype, data: new Int32Array(buf, 0, n) };
    case 'int16': return { dtype: 'int32', data: Int32Array.from(new Int16Array(buf, 0, n)) };
    case 'uint8': case 'bool': return { dtype, data: new Uint8Array(buf, 0, n) };
    case 'int8': return { dtype, data: new Int8Array(buf, 0, n) };
  }
}

/** Reverse the byte order of every `size`-byte element in place. */
export function byteSwap(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  const n = bytes.length - (bytes.length % size);
  for (let i = 0; i < n; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** Copy a strided view of `src` into a fresh contiguous array. */
function gather(src: AnyTypedArray, dtype: DType, ref: TensorRef): AnyTypedArray {
  const n = ref.numel;
  const out = allocTyped(dtype, n);
  if (n === 0) return out;
  const o = out as unknown as Elems;
  const s = src as unknown as Elems;
  const { shape, stride } = ref;
  const nd = shape.length;
  if (nd === 0) {
    o[0] = s[ref.offset]!;
    return out;
  }
  const last = nd - 1;
  const len = shape[last]!;
  const step = stride[last]!;
  const idx = new Array<number>(nd).fill(0);
  let base = ref.offset;
  for (let w = 0; w < n;) {
    for (let k = 0, j = base; k < len; k++, j += step) o[w++] = s[j]!;
    for (let d = last - 1; d >= 0; d--) {
      base += stride[d]!;
      if (++idx[d]! < shape[d]!) break;
      base -= stride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Headroom every checkpoint gets for materialised tensors, whatever its size. */
export const MATERIALISE_SLACK_BYTES = 64 * 1024 * 1024;
/** Materialised tensors may take this many times the file (or its storages, if larger) in memory. */
export const MATERIALISE_RATIO = 4;

function outputElementSize(dtype: StorageDType): number {
  return dtype === 'int16' ? 4 : STORAGE_ELEMENT_SIZE[dtype];
}

/**
 * Views may overlap (zero strides): a 1-element storage viewed as [2^20, 2^10]
 * passes every bounds check yet materialises 2^30 elements. Refuse trees whose
 * tensors would need more memory than the file can justify; broadcast views
 * (torch's `expand`) stay allowed within that budget.
 */
function checkMemoryBudget(archive: ZipArchive, byStorage: ReadonlyMap<StorageRef, ReadonlyArray<[string, TensorRef]>>): void {
  let storageBytes = 0;
  for (const s of byStorage.keys()) storageBytes += s.numel * STORAGE_ELEMENT_SIZE[s.dtype];
  if (storageBytes > MAX_DEFLATE_RATIO * archive.fileSize) {
    throw new CheckpointError(archive.path, `storages declare ${storageBytes} bytes, more than a ${archive.fileSize}-byte zip can hold`);
  }
  const budget = MATERIALISE_RATIO * Math.max(archive.fileSize, storageBytes) + MATERIALISE_SLACK_BYTES;
  let total = 0;
  let largest: [string, TensorRef, number] | undefined;
  for (const users of byStorage.values()) {
    for (const [name, ref] of users) {
      const bytes = ref.numel * outputElementSize(ref.storage.dtype);
      total += bytes;
      if (!largest || bytes > largest[2]) largest = [name, ref, bytes];
    }
  }
  if (total > budget && largest) {
    const [name, ref, bytes] = largest;
    throw new CheckpointError(archive.path, `tensors would need ${total} bytes once materialised, more than the ${budget} this file allows `
      + `(largest: "${name}", ${ref.storage.dtype}[${ref.shape.join(', ')}] = ${bytes} bytes, a view of storage ${ref.storage.key} with ${ref.storage.numel} elements)`);
  }
}

function wrap(archive: ZipArchive, what: string, e: unknown): CheckpointError {
  if (e instanceof CheckpointError) return e;
  return new CheckpointError(archive.path, `${what}: ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * Materialise `refs` (name → TensorRef) from `archive`, whose storages live at
 * `<prefix>data/<key>`. Storages are read in file order, one at a time. Every
 * failure is a CheckpointError naming the archive.
 */
export async function materialiseTensors(
  archive: ZipArchive,
  prefix: string,
  bigEndian: boolean,
  refs: ReadonlyMap<string, TensorRef>,
): Promise<Map<string, HostTensor>> {
  const byStorage = new Map<StorageRef, Array<[string, TensorRef]>>();
  for (const [name, ref] of refs) {
    const list = byStorage.get(ref.storage);
    if (list) list.push([name, ref]);
    else byStorage.set(ref.storage, [[name, ref]]);
  }
  const jobs = await Promise.all([...byStorage].map(async ([storage, users]) => {
    const entryName = `${prefix}data/${storage.key}`;
    const entry = archive.get(entryName);
    if (!entry) throw new CheckpointError(archive.path, `missing storage entry ${entryName}`);
    const need = storage.numel * STORAGE_ELEMENT_SIZE[storage.dtype];
    if (entry.size < need) {
      throw new CheckpointError(archive.path, `storage entry ${entryName} has ${entry.size} bytes, expected ${need} (${storage.dtype}[${storage.numel}])`);
    }
    return { storage, users, entry, at: await archive.dataOffset(entry) };
  }));
  jobs.sort((a, b) => a.at - b.at);
  checkMemoryBudget(archive, byStorage);

  const out = new Map<string, HostTensor>();
  for (const { storage, users, entry } of jobs) {
    const bytes = await archive.read(entry);
    const elSize = STORAGE_ELEMENT_SIZE[storage.dtype];
    let view: { dtype: DType; data: AnyTypedArray };
    try {
      if (bigEndian) byteSwap(bytes.subarray(0, storage.numel * elSize), elSize);
      view = typedView(storage.dtype, bytes.buffer, storage.numel);
    } catch (e) {
      throw wrap(archive, `storage ${storage.key} (${storage.dtype}[${storage.numel}])`, e);
    }
    const { dtype, data } = view;
    for (const [name, ref] of users) {
      try {
        const n = ref.numel;
        let tensorData: AnyTypedArray;
        if (!ref.isContiguous) tensorData = gather(data, dtype, ref);
        else if (users.length === 1 && ref.offset === 0 && n === storage.numel) tensorData = data;
        else tensorData = data.slice(ref.offset, ref.offset + n);
        out.set(name, { dtype, shape: [...ref.shape], data: tensorData } as HostTensor);
      } catch (e) {
        throw wrap(archive, `tensor "${name}" (${storage.dtype}[${ref.shape.join(', ')}])`, e);
      }
    }
  }
  // Keep the caller's key order rather than file order.
  return new Map([...refs.keys()].map((k) => [k, out.get(k)!]));
}
