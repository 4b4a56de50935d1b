/** Positioned reads that either fill the buffer or report truncation. */
import type { FileHandle } from 'node:fs/promises';
import { CheckpointError } from './errors.js';

/** Largest single read() Node accepts is 2 GiB - 1; stay well below it. */
const READ_CHUNK = 1 << 30;

/** Read exactly `buf.length` bytes at `position`, in chunks; a short read throws CheckpointError('truncated'). */
export async function readFully(path: string, fh: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const want = Math.min(READ_CHUNK, buf.length - done);
    const { bytesRead } = await fh.read(buf, done, want, position + done);
    if (bytesRead === 0) throw new CheckpointError(path, `truncated (unexpected end of file at byte ${position + done})`, 'truncated');
    done += bytesRead;
  }
}
