import type { OrtModule } from './ort_adapter.js';
import { ortBackend } from './ort_adapter.js';
import type { Backend } from './types.js';

/** onnxruntime-web (WASM), in the browser or in Node. Loaded lazily: it is large. */
export async function webBackend(options: { threads?: number } = {}): Promise<Backend> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = options.threads ?? 1;
  return ortBackend('onnxruntime-web', ort as unknown as OrtModule, ['wasm']);
}
