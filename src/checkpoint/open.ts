import { open } from 'node:fs/promises';
import type { HostTensor } from '../core/host.js';
import { CheckpointError } from './errors.js';
import { loadPth } from './pth.js';
import { readSafetensors } from './safetensors.js';

export type CheckpointFormat = 'pth' | 'safetensors';

export interface AnyCheckpoint {
  readonly format: CheckpointFormat;
  readonly tensors: Map<string, HostTensor>;
  /** safetensors `__metadata__`, or a .pth file's non-tensor leaves as JSON strings. */
  readonly metadata: Record<string, string>;
}

/** Tell a checkpoint's format from its first bytes (not its name). */
export async function sniffCheckpoint(path: string): Promise<CheckpointFormat> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot open (${code ?? (e as Error).message})`);
  }
  try {
    const head = new Uint8Array(9);
    const { bytesRead } = await fh.read(head, 0, 9, 0);
    if (bytesRead >= 2 && head[0] === 0x50 && head[1] === 0x4b) return 'pth';
    if (bytesRead === 9 && head[8] === 0x7b) return 'safetensors';
    if (bytesRead === 0) throw new CheckpointError(path, 'empty file');
    if (bytesRead >= 2 && head[0] === 0x80) return 'pth'; // legacy pickle: loadPth explains the refusal
    throw new CheckpointError(path, 'not a checkpoint (neither a PyTorch zip nor safetensors)');
  } finally {
    await fh.close();
  }
}

/** Read a .pth or .safetensors checkpoint, whichever it is. */
export async function readCheckpoint(path: string): Promise<AnyCheckpoint> {
  const format = await sniffCheckpoint(path);
  if (format === 'safetensors') {
    const f = await readSafetensors(path);
    return { format, tensors: f.tensors, metadata: f.metadata };
  }
  const c = await loadPth(path);
  const metadata = Object.fromEntries(Object.entries(c.meta).map(([k, v]) => [k, JSON.stringify(v)]));
  return { format, tensors: c.tensors, metadata };
}
