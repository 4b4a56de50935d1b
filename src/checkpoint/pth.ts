/**
 * Load PyTorch `.pth` checkpoints written by `torch.save` (zip format,
 * torch >= 1.6) without executing any pickled code. Errors are one line,
 * `"<file>: <problem>"` (CheckpointError).
 */
import { open } from 'node:fs/promises';
import type { HostTensor } from '../core/host.js';
import { CheckpointError } from './errors.js';
import type { CheckpointErrorCode } from './errors.js';
import { flattenCheckpoint } from './flatten.js';
import type { FlatCheckpoint, JsonValue } from './flatten.js';
import { materialiseTensors } from './materialise.js';
import { PickleError, unpickle } from './pickle.js';
import type { PickleValue } from './pickle-values.js';
import { torchUnpickleOptions } from './torch-allowlist.js';
import type { StorageRef, TensorRef } from './torch-refs.js';
import { ZipArchive } from './zip.js';

export interface PthTree {
  /** The unpickled object tree; tensors appear as TensorRef (not yet loaded). */
  readonly tree: PickleValue;
  /** Every storage the tree references, by key. */
  readonly storages: ReadonlyMap<string, StorageRef>;
  /** Folder inside the zip holding `data.pkl`, with trailing slash ('' when at the root). */
  readonly prefix: string;
  readonly byteorder: 'little' | 'big';
}

export interface PthCheckpoint {
  /** Every tensor leaf, keyed by its dotted path (`model.encoder.weight`). */
  readonly tensors: Map<string, HostTensor>;
  /** Every non-tensor leaf (epoch, config, ...) as JSON, keyed by dotted path. */
  readonly meta: Record<string, JsonValue>;
}

const LEGACY = 'legacy torch serialization is not supported; re-save with torch>=1.6';

async function legacyKind(path: string): Promise<'pickle' | 'tar' | undefined> {
  const fh = await open(path, 'r');
  try {
    const head = new Uint8Array(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    if (bytesRead >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return 'pickle';
    if (bytesRead >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === 'ustar') return 'tar';
    return undefined;
  } finally {
    await fh.close();
  }
}

async function openArchive(path: string): Promise<ZipArchive> {
  try {
    return await ZipArchive.open(path);
  } catch (e) {
    if (!(e instanceof CheckpointError) || e.code !== 'not-zip') throw e;
    if (await legacyKind(path)) throw new CheckpointError(path, LEGACY, 'legacy');
    throw new CheckpointError(path, 'not a PyTorch checkpoint (no zip signature)', 'not-zip');
  }
}

async function readTree(path: string, archive: ZipArchive): Promise<PthTree> {
  const pkls = archive.entries.filter((e) => /^([^/]+\/)?data\.pkl$/.test(e.name));
  if (pkls.length !== 1) {
    throw new CheckpointError(path, pkls.length ? `ambiguous checkpoint (${pkls.length} data.pkl entries)` : 'not a PyTorch checkpoint (zip has no data.pkl)', 'not-zip');
  }
  const prefix = pkls[0]!.name.slice(0, -'data.pkl'.length);
  let byteorder: 'little' | 'big' = 'little';
  const order = archive.get(`${prefix}byteorder`);
  if (order) {
    const text = new TextDecoder().decode(await archive.read(order)).trim();
    if (text !== 'little' && text !== 'big') throw new CheckpointError(path, `unknown byteorder "${text.slice(0, 20)}"`);
    byteorder = text;
  }
  const options = torchUnpickleOptions();
  let tree: PickleValue;
  try {
    tree = unpickle(await archive.read(pkls[0]!), options);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    if (!(e instanceof PickleError)) throw new CheckpointError(path, `${pkls[0]!.name}: ${(e as Error).message}`);
    const code: CheckpointErrorCode = e.kind;
    throw new CheckpointError(path, e.kind === 'refused' ? e.message : `${pkls[0]!.name}: ${e.message}`, code);
  }
  return { tree, storages: options.storages, prefix, byteorder };
}

/** Unpickle a checkpoint's object tree without loading any tensor data. */
export async function readPthTree(path: string): Promise<PthTree> {
  const archive = await openArchive(path);
  try {
    return await readTree(path, archive);
  } finally {
    await archive.close();
  }
}

/** Load every tensor leaf (dotted keys) and the non-tensor metadata of a checkpoint. */
export async function loadPth(path: string): Promise<PthCheckpoint> {
  const archive = await openArchive(path);
  try {
    const { tree, prefix, byteorder } = await readTree(path, archive);
    let flat: FlatCheckpoint<TensorRef>;
    try {
      flat = flattenCheckpoint(tree);
    } catch (e) {
      throw new CheckpointError(path, (e as Error).message);
    }
    let tensors: Map<string, HostTensor>;
    try {
      tensors = await materialiseTensors(archive, prefix, byteorder === 'big', flat.tensors);
    } catch (e) {
      if (e instanceof CheckpointError) throw e;
      throw new CheckpointError(path, `cannot load tensors (${(e as Error).message})`);
    }
    return { tensors, meta: flat.meta };
  } finally {
    await archive.close();
  }
}

/**
 * Load every tensor of a checkpoint, keyed by dotted path. A flat state dict
 * gives its own keys; `{'model': {...}}` gives `model.`-prefixed keys, left
 * for the caller to unwrap.
 */
export async function readPth(path: string): Promise<Map<string, HostTensor>> {
  return (await loadPth(path)).tensors;
}
