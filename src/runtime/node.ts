import ort from 'onnxruntime-node';
import type { OrtModule } from './ort_adapter.js';
import { ortBackend } from './ort_adapter.js';
import type { Backend } from './types.js';

/** onnxruntime-node: native CPU (and CUDA where installed). */
export const nodeBackend: Backend = ortBackend('onnxruntime-node', ort as unknown as OrtModule, ['cpu']);
