/**
 * Crash-safe file replacement: stream chunks into a temporary file in the
 * target's directory, fsync it, then rename it over the target. On any failure
 * the temporary file is removed and the target is left untouched. File-system
 * failures read `<target>: cannot write (<reason>)` and never show the
 * temporary name; they keep the errno `code` (ENOENT, EACCES, ...).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type ChunkSource = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

const WRITE_CHUNK = 1 << 30;

/** Name of a fresh temporary sibling of `path` (hidden, ends in `.tmp`). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, done, Math.min(WRITE_CHUNK, chunk.length - done));
    done += bytesWritten;
  }
}

/** Best effort: make the rename itself durable. Not every platform lets a directory be fsynced. */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // ignored: durability of the directory entry is an optimisation here
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** A short reason for a failed write into `dir`, or undefined for codes without one. */
function reasonFor(code: string | undefined, dir: string): string | undefined {
  switch (code) {
    case 'ENOENT': return `directory ${dir} does not exist`;
    case 'ENOTDIR': return `${dir} is not a directory`;
    case 'EACCES': case 'EPERM': return `permission denied in ${dir}`;
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EISDIR': return 'is a directory';
    case 'ENAMETOOLONG': return 'name too long';
    default: return undefined;
  }
}

/** `<path>: cannot write (<reason>)`, keeping the errno code and the original error as `cause`. */
function cannotWrite(path: string, reason: string, code: string | undefined, cause?: unknown): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${path}: cannot write (${reason})`, { cause });
  if (code !== undefined) err.code = code;
  return err;
}

function fsFailure(path: string, tmp: string, e: unknown): NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException).code;
  const reason = reasonFor(code, dirname(path)) ?? (e as Error).message.split(tmp).join(path);
  return cannotWrite(path, reason, code, e);
}

/**
 * Fail early, before expensive work, when `path` could not be written:
 * its directory must exist and be writable, and `path` must not be a directory.
 * Throws `<path>: cannot write (<reason>)` with an errno `code`.
 */
export async function checkWritable(path: string): Promise<void> {
  const dir = dirname(path);
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw cannotWrite(path, reasonFor(code, dir) ?? (e as Error).message, code, e);
  }
  if (!isDir) throw cannotWrite(path, reasonFor('ENOTDIR', dir)!, 'ENOTDIR');
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw cannotWrite(path, reasonFor(code, dir) ?? `directory ${dir} is not writable`, code, e);
  }
  if ((await stat(path).catch(() => undefined))?.isDirectory()) throw cannotWrite(path, 'is a directory', 'EISDIR');
}

/** Write `chunks`, in order, to `path` atomically. Chunks are streamed, never concatenated. */
export async function writeFileAtomic(path: string, chunks: ChunkSource): Promise<void> {
  const tmp = tempPathFor(path);
  const fs = async <T>(step: Promise<T>): Promise<T> => {
    try {
      return await step;
    } catch (e) {
      throw fsFailure(path, tmp, e);
    }
  };
  let fh: FileHandle | undefined = await fs(open(tmp, 'wx'));
  try {
    for await (const chunk of chunks) await fs(writeAll(fh, chunk));
    await fs(fh.sync());
    await fs(fh.close());
    fh = undefined;
    await fs(rename(tmp, path));
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
}
