/** Checkpoint I/O: PyTorch `.pth` (read), safetensors (read/write), atomic writes. */
export { CheckpointError } from './errors.js';
export type { CheckpointErrorCode } from './errors.js';
export { loadPth, readPth, readPthTree } from './pth.js';
export type { PthCheckpoint, PthTree } from './pth.js';
export { flattenCheckpoint, toJson } from './flatten.js';
export type { FlatCheckpoint, JsonValue } from './flatten.js';
export { readSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors.js';
export type { SafetensorsFile } from './safetensors.js';
export type { SafetensorsEntry, SafetensorsHeader } from './safetensors-header.js';
export { checkWritable, writeFileAtomic } from './atomic.js';
export type { ChunkSource } from './atomic.js';
export { ZipArchive } from './zip.js';
export type { ZipEntry } from './zip.js';
export { PickleError, unpickle } from './pickle.js';
export type { UnpickleOptions } from './pickle.js';
export { TORCH_GLOBALS, torchUnpickleOptions } from './torch-allowlist.js';
export { StorageRef, TensorRef } from './torch-refs.js';
export type { PickleValue } from './pickle-values.js';
