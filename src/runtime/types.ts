import type { HostTensor } from '../core/host.js';

export interface SessionOptions {
  /** Intra-op threads (default: all cores). */
  readonly threads?: number;
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** ORT's memory-pattern planner (default on). */
  readonly memPattern?: boolean;
  /** ORT's CPU arena allocator (default on). */
  readonly cpuArena?: boolean;
  /** Write an ORT profile (chrome trace JSON) with this file prefix. */
  readonly profilePrefix?: string;
  /** Execution providers in priority order, e.g. ['cuda', 'cpu'] (node) or ['wasm'] (web). */
  readonly providers?: readonly string[];
  /**
   * Compute with denormal floats (|x| < 1.2e-38) as zero (CPU flush-to-zero and denormals-are-zero; ORT's
   * `session.set_denormal_as_zero`). Default off. On x86 every arithmetic step that meets a denormal takes a slow
   * path; training produces more and more of them (a BUSI fine-tuning run from random init slowed from 17 to 8
   * images/s by epoch 20). ORT sets the mode on its own threads per session, and on the thread that creates
   * the process's first session once, for good: there it also changes JavaScript's arithmetic (denormal
   * numbers read as 0). Use it through the node backend's `flushDenormals()`, which makes that explicit.
   */
  readonly flushDenormals?: boolean;
}

/** How a computation treated denormal floats: flushed to zero (`flushDenormals`) or kept as IEEE 754 has them. */
export type DenormalMode = 'flush' | 'ieee';

/** One loaded ONNX model, ready to run. */
export interface RunSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>>;
  release(): Promise<void>;
}

/** A way to run ONNX models: onnxruntime-node, onnxruntime-web, … */
export interface Backend {
  readonly name: string;
  createSession(model: Uint8Array, options?: SessionOptions): Promise<RunSession>;
}
