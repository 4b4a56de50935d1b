import type * as ortCommon from 'onnxruntime-common';
import type { DType } from '../core/dtype.js';
import type { HostTensor } from '../core/host.js';
import type { Backend, RunSession, SessionOptions } from './types.js';

/** The part of an onnxruntime module (node or web) this adapter uses. */
export interface OrtModule {
  readonly InferenceSession: { create(buffer: Uint8Array, options?: ortCommon.InferenceSession.SessionOptions): Promise<ortCommon.InferenceSession> };
  readonly Tensor: new (type: ortCommon.Tensor.Type, data: ortCommon.Tensor.DataType, dims: readonly number[]) => ortCommon.Tensor;
}

const TO_ORT: Partial<Record<DType, ortCommon.Tensor.Type>> = {
  float32: 'float32', float16: 'float16', float64: 'float64', int64: 'int64', int32: 'int32', uint8: 'uint8', int8: 'int8', bool: 'bool',
};
const FROM_ORT: Partial<Record<string, DType>> = {
  float32: 'float32', float16: 'float16', float64: 'float64', int64: 'int64', int32: 'int32', uint8: 'uint8', int8: 'int8', bool: 'bool',
};

export function toOrt(ort: OrtModule, t: HostTensor): ortCommon.Tensor {
  const type = TO_ORT[t.dtype];
  if (!type) throw new Error(`dtype ${t.dtype} cannot be fed to onnxruntime`);
  return new ort.Tensor(type, t.data as ortCommon.Tensor.DataType, t.shape);
}

export function fromOrt(t: ortCommon.Tensor): HostTensor {
  const dtype = FROM_ORT[t.type];
  if (!dtype) throw new Error(`onnxruntime returned unsupported type ${t.type}`);
  let data = t.data as HostTensor['data'];
  // ORT-web returns bool as Uint8Array already; normalise odd cases.
  if (dtype === 'bool' && !(data instanceof Uint8Array)) data = Uint8Array.from(data as ArrayLike<number>);
  return { dtype, shape: [...t.dims], data };
}

export function ortOptions(o: SessionOptions, defaultProviders: readonly string[], defaultThreads?: number): ortCommon.InferenceSession.SessionOptions {
  const threads = o.threads ?? defaultThreads;
  return {
    graphOptimizationLevel: o.optimization ?? 'all',
    ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
    ...(o.profilePrefix ? { enableProfiling: true, profileFilePrefix: o.profilePrefix } : {}),
    interOpNumThreads: 1,
    enableMemPattern: o.memPattern ?? true,
    enableCpuMemArena: o.cpuArena ?? true,
    executionProviders: [...(o.providers ?? defaultProviders)],
    // Errors only: ORT's warnings (e.g. about unused initializers) are noise to users.
    logSeverityLevel: 3,
    ...(o.flushDenormals ? { extra: { session: { set_denormal_as_zero: '1' } } } : {}),
  };
}

/** A Backend over any onnxruntime module with the common API. */
export function ortBackend(name: string, ort: OrtModule, defaultProviders: readonly string[], defaultThreads?: number): Backend {
  return {
    name,
    async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<RunSession> {
      const s = await ort.InferenceSession.create(model, ortOptions(options, defaultProviders, defaultThreads));
      return {
        inputNames: s.inputNames,
        outputNames: s.outputNames,
        async run(feeds, fetch) {
          const f: Record<string, ortCommon.Tensor> = {};
          for (const [k, v] of Object.entries(feeds)) f[k] = toOrt(ort, v);
          const r = fetch ? await s.run(f, [...fetch]) : await s.run(f);
          const out: Record<string, HostTensor> = {};
          for (const [k, v] of Object.entries(r)) out[k] = fromOrt(v);
          return out;
        },
        release: async () => {
          if (options.profilePrefix) s.endProfiling();
          await s.release();
        },
      };
    },
  };
}
