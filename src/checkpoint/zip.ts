/**
 * Read-only zip archive access by positioned reads: only the central directory
 * is loaded up front, entry bytes are read on demand. Supports ZIP64 (torch
 * writes it for large checkpoints), stored and deflated entries.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { inflateSync } from 'fflate';
import { crc32 } from './crc32.js';
import { CheckpointError } from './errors.js';
import { readFully } from './read-fully.js';

export const ZIP_STORED = 0;
export const ZIP_DEFLATED = 8;
/** Deflate expands at most 1032:1 (258-byte matches in about two bits each); a declared size beyond that is a lie. */
export const MAX_DEFLATE_RATIO = 1032;
/** Stored entries are read in chunks of this size, each checksummed while the next is read. */
const CRC_CHUNK = 8 * 1024 * 1024;

export interface ZipEntry {
  readonly name: string;
  /** Compression method: 0 stored, 8 deflated. */
  readonly method: number;
  /** General-purpose bit flags (bit 0: encrypted). */
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  /** Uncompressed size in bytes. */
  readonly size: number;
  readonly localHeaderOffset: number;
}

/** Record signatures of the zip format (APPNOTE 4.3), shared with the writer in pth_write.ts. */
export const SIG_LOCAL = 0x04034b50;
export const SIG_CENTRAL = 0x02014b50;
export const SIG_EOCD = 0x06054b50;
export const SIG_ZIP64_LOCATOR = 0x07064b50;
export const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const MAX_CENTRAL_DIRECTORY = 256 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8');

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('64-bit value too large');
  return Number(v);
}

interface Directory {
  count: number;
  size: number;
  offset: number;
}

export class ZipArchive {
  private readonly byName: Map<string, ZipEntry>;
  private readonly dataOffsets = new Map<ZipEntry, number>();

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly fileSize: number,
    readonly entries: readonly ZipEntry[],
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  /** Open `path` and read its central directory. Throws CheckpointError ('not-zip', 'truncated', 'corrupt', 'unsupported'). */
  static async open(path: string): Promise<ZipArchive> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw new CheckpointError(path, `cannot open (${(e as Error).message})`, 'io');
    }
    try {
      const fileSize = (await fh.stat()).size;
      const entries = await readCentralDirectory(path, fh, fileSize);
      return new ZipArchive(path, fh, fileSize, entries);
    } catch (e) {
      await fh.close();
      if (e instanceof CheckpointError) throw e;
      throw new CheckpointError(path, `corrupt zip (${(e as Error).message})`, 'corrupt');
    }
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  private fail(problem: string, code: 'truncated' | 'corrupt' | 'unsupported' = 'corrupt'): never {
    throw new CheckpointError(this.path, problem, code);
  }

  /** Absolute file offset of the entry's (possibly compressed) bytes; validates the local header. */
  async dataOffset(entry: ZipEntry): Promise<number> {
    const known = this.dataOffsets.get(entry);
    if (known !== undefined) return known;
    if (entry.localHeaderOffset + 30 > this.fileSize) this.fail(`truncated (entry ${entry.name} starts past end of file)`, 'truncated');
    const head = new Uint8Array(30);
    await readFully(this.path, this.fh, head, entry.localHeaderOffset);
    const view = new DataView(head.buffer);
    if (view.getUint32(0, true) !== SIG_LOCAL) this.fail(`corrupt zip (bad local header for entry ${entry.name})`);
    const start = entry.localHeaderOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
    if (start + entry.compressedSize > this.fileSize) this.fail(`truncated (entry ${entry.name} ends past end of file)`, 'truncated');
    this.dataOffsets.set(entry, start);
    return start;
  }

  /** A zeroed buffer for the entry's `size` bytes; sizes the runtime cannot allocate are reported, not thrown raw. */
  private alloc(entry: ZipEntry): Uint8Array<ArrayBuffer> {
    try {
      return new Uint8Array(entry.size);
    } catch (e) {
      this.fail(`entry ${entry.name} is too large to load (${entry.size} bytes: ${(e as Error).message})`, 'unsupported');
    }
  }

  /** Fill `out` from file offset `start` and return its CRC-32, checksumming each chunk while the next one is read. */
  private async readChecksummed(out: Uint8Array, start: number): Promise<number> {
    const chunk = (from: number): Promise<void> =>
      from < out.length ? readFully(this.path, this.fh, out.subarray(from, Math.min(from + CRC_CHUNK, out.length)), start + from) : Promise.resolve();
    let crc = 0;
    let pending = chunk(0);
    for (let from = 0; from < out.length; from += CRC_CHUNK) {
      await pending;
      pending = chunk(from + CRC_CHUNK);
      crc = crc32(out.subarray(from, Math.min(from + CRC_CHUNK, out.length)), crc);
    }
    await pending;
    return crc;
  }

  /**
   * The entry's uncompressed bytes in a fresh, exclusively owned buffer
   * (byteOffset 0, so any typed-array view of it is aligned), checked
   * against the entry's CRC-32.
   */
  async read(entry: ZipEntry): Promise<Uint8Array<ArrayBuffer>> {
    if (entry.flags & 1) this.fail(`entry ${entry.name} is encrypted`, 'unsupported');
    const start = await this.dataOffset(entry);
    let out: Uint8Array<ArrayBuffer>;
    let crc: number;
    if (entry.method === ZIP_STORED) {
      if (entry.compressedSize !== entry.size) this.fail(`corrupt zip (stored entry ${entry.name} has mismatched sizes)`);
      out = this.alloc(entry);
      crc = await this.readChecksummed(out, start);
    } else if (entry.method === ZIP_DEFLATED) {
      if (entry.size > MAX_DEFLATE_RATIO * entry.compressedSize + 64) {
        this.fail(`corrupt zip (entry ${entry.name} declares ${entry.size} bytes, more than ${entry.compressedSize} deflated bytes can hold)`);
      }
      const packed = new Uint8Array(entry.compressedSize);
      await readFully(this.path, this.fh, packed, start);
      const target = this.alloc(entry);
      try {
        out = inflateSync(packed, { out: target });
      } catch (e) {
        this.fail(`corrupt zip (entry ${entry.name}: ${(e as Error).message})`);
      }
      if (out.length !== entry.size) this.fail(`corrupt zip (entry ${entry.name} inflates to ${out.length} bytes, expected ${entry.size})`);
      crc = crc32(out);
    } else {
      this.fail(`entry ${entry.name} uses unsupported compression method ${entry.method}`, 'unsupported');
    }
    if (crc !== entry.crc32) this.fail(`entry ${entry.name} is corrupt (CRC mismatch)`);
    return out;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function readCentralDirectory(path: string, fh: FileHandle, fileSize: number): Promise<ZipEntry[]> {
  function fail(problem: string, code: 'not-zip' | 'truncated' | 'corrupt' | 'unsupported' = 'corrupt'): never {
    throw new CheckpointError(path, problem, code);
  }
  const tailLen = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
  const tail = new Uint8Array(tailLen);
  await readFully(path, fh, tail, fileSize - tailLen);
  const tv = new DataView(tail.buffer);
  const eocd = findEocd(tv, tailLen);
  if (eocd < 0) {
    const head = tail.length === fileSize ? tail : await readHead(path, fh, fileSize);
    const startsLikeZip = head.length >= 4 && new DataView(head.buffer, head.byteOffset).getUint32(0, true) === SIG_LOCAL;
    if (startsLikeZip) fail('truncated (no end-of-central-directory record)', 'truncated');
    fail('not a zip archive (no zip signature)', 'not-zip');
  }
  const eocdAbs = fileSize - tailLen + eocd;
  const disk = tv.getUint16(eocd + 4, true);
  const cdDisk = tv.getUint16(eocd + 6, true);
  let dir: Directory = {
    count: tv.getUint16(eocd + 10, true),
    size: tv.getUint32(eocd + 12, true),
    offset: tv.getUint32(eocd + 16, true),
  };
  let dirEnd = eocdAbs;
  const locatorAbs = eocdAbs - 20;
  const hasLocator = eocd >= 20 && tv.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR;
  if (hasLocator) {
    const z64At = u64(tv, eocd - 20 + 8);
    if (z64At + 56 > locatorAbs) fail('corrupt zip (bad ZIP64 end-of-central-directory locator)');
    const rec = new Uint8Array(56);
    await readFully(path, fh, rec, z64At);
    const rv = new DataView(rec.buffer);
    if (rv.getUint32(0, true) !== SIG_ZIP64_EOCD) fail('corrupt zip (bad ZIP64 end-of-central-directory record)');
    if (rv.getUint32(16, true) !== 0 || rv.getUint32(20, true) !== 0) fail('multi-disk zip archives are not supported', 'unsupported');
    dir = { count: u64(rv, 32), size: u64(rv, 40), offset: u64(rv, 48) };
    dirEnd = z64At;
  } else {
    if (disk !== 0 || cdDisk !== 0) fail('multi-disk zip archives are not supported', 'unsupported');
    if (dir.count === 0xffff || dir.size === 0xffffffff || dir.offset === 0xffffffff) fail('corrupt zip (ZIP64 markers without a ZIP64 locator)');
  }
  if (dir.offset + dir.size > dirEnd) fail('truncated (central directory ends past its end record)', 'truncated');
  if (dir.size > MAX_CENTRAL_DIRECTORY) fail(`central directory too large (${dir.size} bytes)`, 'unsupported');
  const cd = new Uint8Array(dir.size);
  await readFully(path, fh, cd, dir.offset);
  return parseEntries(cd, dir.count, fail);
}

async function readHead(path: string, fh: FileHandle, fileSize: number): Promise<Uint8Array> {
  const head = new Uint8Array(Math.min(4, fileSize));
  await readFully(path, fh, head, 0);
  return head;
}

/** Scan backwards for the end record; prefer one whose comment length reaches exactly to end of file. */
function findEocd(tv: DataView, tailLen: number): number {
  let loose = -1;
  for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
    if (tv.getUint32(i, true) !== SIG_EOCD) continue;
    const end = i + EOCD_SIZE + tv.getUint16(i + 20, true);
    if (end === tailLen) return i;
    if (loose < 0 && end <= tailLen) loose = i;
  }
  return loose;
}

function parseEntries(cd: Uint8Array, count: number, fail: (problem: string) => never): ZipEntry[] {
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || view.getUint32(p, true) !== SIG_CENTRAL) fail(`corrupt zip (central directory entry ${i} is damaged)`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc32 = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const diskStart = view.getUint16(p + 34, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cd.length) fail(`corrupt zip (central directory entry ${i} overruns the directory)`);
    const name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information: only the fields whose 32-bit slots are saturated, in this order.
    let x = p + 46 + nameLen;
    const extraEnd = x + extraLen;
    while (x + 4 <= extraEnd) {
      const id = view.getUint16(x, true);
      const len = view.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        const take = (): number => {
          if (q + 8 > x + 4 + len) fail(`corrupt zip (short ZIP64 field for entry ${name})`);
          const v = u64(view, q);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      x += 4 + len;
    }
    if (diskStart !== 0 && diskStart !== 0xffff) fail(`corrupt zip (entry ${name} lives on disk ${diskStart})`);
    entries.push({ name, method, flags, crc32, compressedSize, size, localHeaderOffset });
    p = next;
  }
  return entries;
}
