import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import type { OrtModule } from './ort_adapter.js';
import { ortBackend } from './ort_adapter.js';
import type { Backend, DenormalMode } from './types.js';

/**
 * onnxruntime-node: native CPU (and CUDA where installed). Intra-op threads default to every
 * available CPU: ORT's own default counts physical cores and picked 1 of 2 vCPUs here (1.7× slower).
 */
const ortNode = ortBackend('onnxruntime-node', ort as unknown as OrtModule, ['cpu'], availableParallelism());

let flushing = false;
let created = false;

export const nodeBackend: Backend = {
  name: ortNode.name,
  createSession(model, options = {}) {
    created = true;
    return ortNode.createSession(model, { flushDenormals: flushing, ...options });
  },
};

/**
 * From now on every session of {@link nodeBackend} computes with denormal floats as zero (`SessionOptions.flushDenormals`).
 * A process-wide choice, made before the first session: ORT sets the calling thread's mode once, when the
 * process's first session is created, so a later call could reach only ORT's own threads. It also changes
 * JavaScript's arithmetic on this thread (a denormal number such as `Number.MIN_VALUE` reads as 0), so it is
 * for applications (the `usfm` command turns it on), not for libraries embedding the models.
 */
export function flushDenormals(): void {
  if (created) throw new Error('flushDenormals() must come before the first onnxruntime session of the process');
  flushing = true;
}

/** How this process's sessions of {@link nodeBackend} treat denormal floats (recorded with every epoch a run trains). */
export const denormalMode = (): DenormalMode => (flushing ? 'flush' : 'ieee');
