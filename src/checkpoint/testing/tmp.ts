/** Test-only: a scratch directory per test file, removed when the file's tests finish. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export interface Scratch {
  readonly dir: string;
  /** Write `bytes` to `<dir>/<name>` and return the path. */
  file(name: string, bytes: Uint8Array | string): Promise<string>;
}

export async function scratch(): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), 'usfm-checkpoint-'));
  after(() => rm(dir, { recursive: true, force: true }));
  return {
    dir,
    async file(name, bytes) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      return path;
    },
  };
}

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
