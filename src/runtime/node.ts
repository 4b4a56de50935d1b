import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import type { OrtModule } from './ort_adapter.js';
import { ortBackend } from './ort_adapter.js';
import type { Backend } from './types.js';

/**
 * onnxruntime-node: native CPU (and CUDA where installed). Intra-op threads default to every
 * available CPU: ORT's own default counts physical cores and picked 1 of 2 vCPUs here (1.7× slower).
 */
export const nodeBackend: Backend = ortBackend('onnxruntime-node', ort as unknown as OrtModule, ['cpu'], availableParallelism());
