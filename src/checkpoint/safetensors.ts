/**
 * Read and write `.safetensors` files. Reads validate the header fully before
 * touching tensor bytes and read each tensor straight into its own typed array;
 * writes stream through writeFileAtomic. Assumes a little-endian host.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { allocTyped } from '../core/dtype.js';
import type { HostTensor } from '../core/host.js';
import { writeFileAtomic } from './atomic.js';
import { CheckpointError } from './errors.js';
import { readFully } from './read-fully.js';
import { MAX_HEADER_BYTES, encodeSafetensorsHeader, parseSafetensorsHeader } from './safetensors-header.js';
import type { SafetensorsHeader } from './safetensors-header.js';

export interface SafetensorsFile {
  readonly tensors: Map<string, HostTensor>;
  readonly metadata: Record<string, string>;
}

// The header checks shared by the async reads and the sync metadata read; each error names the file.
function checkLengthField(path: string, size: number): void {
  if (size < 8) throw new CheckpointError(path, `truncated (${size} bytes, shorter than the 8-byte header length)`, 'truncated');
}

function headerLength(path: string, size: number, lengthField: Uint8Array): number {
  const len = new DataView(lengthField.buffer, lengthField.byteOffset, 8).getBigUint64(0, true);
  if (len > BigInt(MAX_HEADER_BYTES)) throw new CheckpointError(path, `not a safetensors file (header length ${len} is implausible)`);
  const headerLen = Number(len);
  if (8 + headerLen > size) throw new CheckpointError(path, `truncated (header of ${headerLen} bytes ends past end of file)`, 'truncated');
  return headerLen;
}

function parseHeader(path: string, size: number, json: Uint8Array): SafetensorsHeader {
  try {
    return parseSafetensorsHeader(new TextDecoder().decode(json), size - 8 - json.length);
  } catch (e) {
    throw new CheckpointError(path, (e as Error).message);
  }
}

async function readHeader(path: string, fh: FileHandle): Promise<{ header: SafetensorsHeader; dataStart: number }> {
  const size = (await fh.stat()).size;
  checkLengthField(path, size);
  const lenBuf = new Uint8Array(8);
  await readFully(path, fh, lenBuf, 0);
  const json = new Uint8Array(headerLength(path, size, lenBuf));
  await readFully(path, fh, json, 8);
  return { header: parseHeader(path, size, json), dataStart: 8 + json.length };
}

/** Read only the validated header (names, dtypes, shapes, offsets, metadata). */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await openFile(path);
  try {
    return (await readHeader(path, fh)).header;
  } finally {
    await fh.close();
  }
}

/**
 * The `__metadata__` map of a safetensors file, read synchronously from its header alone (for quick decisions,
 * such as which fine-tuning defaults a checkpoint gets). Throws a CheckpointError naming the file as the async reads do.
 */
export function readSafetensorsMetadataSync(path: string): Record<string, string> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    checkLengthField(path, size);
    const readAt = (buf: Uint8Array, position: number): Uint8Array => {
      if (readSync(fd, buf, 0, buf.length, position) !== buf.length) throw new CheckpointError(path, 'truncated (the file shrank while being read)', 'truncated');
      return buf;
    };
    const json = readAt(new Uint8Array(headerLength(path, size, readAt(new Uint8Array(8), 0))), 8);
    return parseHeader(path, size, json).metadata;
  } finally {
    closeSync(fd);
  }
}

/** Read every tensor and the `__metadata__` map of a safetensors file. */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  const fh = await openFile(path);
  try {
    const { header, dataStart } = await readHeader(path, fh);
    const tensors = new Map<string, HostTensor>();
    for (const e of header.entries) {
      let n = 1;
      for (const d of e.shape) n *= d;
      const data = allocTyped(e.dtype, n);
      await readFully(path, fh, new Uint8Array(data.buffer, 0, e.end - e.begin), dataStart + e.begin);
      tensors.set(e.name, { dtype: e.dtype, shape: [...e.shape], data } as HostTensor);
    }
    return { tensors, metadata: header.metadata };
  } finally {
    await fh.close();
  }
}

/**
 * Write `tensors` (in iteration order) and string `metadata` to `path`
 * atomically. Tensor bytes are streamed from the tensors' own buffers.
 */
export async function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, HostTensor> | Iterable<readonly [string, HostTensor]>,
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  const list = [...tensors];
  let prefix: Uint8Array;
  try {
    prefix = encodeSafetensorsHeader(list, metadata);
  } catch (e) {
    throw new CheckpointError(path, (e as Error).message, 'corrupt');
  }
  function* chunks(): Generator<Uint8Array> {
    yield prefix;
    for (const [, t] of list) yield new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  await writeFileAtomic(path, chunks());
}

async function openFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    throw new CheckpointError(path, `cannot open (${(e as Error).message})`, 'io');
  }
}
