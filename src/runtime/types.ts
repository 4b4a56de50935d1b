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
}

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
