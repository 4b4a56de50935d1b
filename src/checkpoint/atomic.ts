/**
 * Crash-safe file replacement: stream chunks into a temporary file in the
 * target's directory, fsync it, then rename it over the target. On any failure
 * the temporary file is removed and the target is left untouched.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
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

/** Write `chunks`, in order, to `path` atomically. Chunks are streamed, never concatenated. */
export async function writeFileAtomic(path: string, chunks: ChunkSource): Promise<void> {
  const tmp = tempPathFor(path);
  let fh: FileHandle | undefined = await open(tmp, 'wx');
  try {
    for await (const chunk of chunks) await writeAll(fh, chunk);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
}
