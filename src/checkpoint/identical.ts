// Recognising a checkpoint by its bytes rather than its path (a copy, a moved installation).
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';

const CHUNK = 4 << 20;

/** Whether `a` and `b` are regular files with the same bytes (false when either is missing); reads 4 MiB at a time. */
export function identicalFiles(a: string, b: string): boolean {
  const sa = statSync(a, { throwIfNoEntry: false });
  const sb = statSync(b, { throwIfNoEntry: false });
  if (!sa?.isFile() || !sb?.isFile() || sa.size !== sb.size) return false;
  const [fa, fb] = [openSync(a, 'r'), openSync(b, 'r')];
  try {
    const [ba, bb] = [Buffer.alloc(CHUNK), Buffer.alloc(CHUNK)];
    for (let pos = 0; pos < sa.size; pos += CHUNK) {
      const n = readSync(fa, ba, 0, CHUNK, pos);
      if (readSync(fb, bb, 0, CHUNK, pos) !== n || n === 0 || !ba.subarray(0, n).equals(bb.subarray(0, n))) return false;
    }
    return true;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/** SHA-256 of a file's bytes, as hex: a checkpoint's identity recorded beside its path. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) h.update(chunk as Buffer);
  return h.digest('hex');
}
