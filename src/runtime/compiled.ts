import type { HostTensor } from '../core/host.js';
import type { Dim } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { input } from '../core/tensor.js';
import { emitModel } from '../onnx/emit.js';
import type { Backend, RunSession, SessionOptions } from './types.js';

/** Builds the graph for named inputs; returns named outputs. */
export type BuildFn = (inputs: Readonly<Record<string, Tensor>>) => Readonly<Record<string, Tensor>>;

export interface CompileOptions {
  /** Symbolic axes per input, e.g. { x: { 0: 'B' } }: one session serves every size there. */
  readonly dynamic?: Readonly<Record<string, Readonly<Record<number, string>>>>;
  /** Inputs baked into the model as initializers (lets ORT pre-pack weights); fed values for them are ignored. */
  readonly bake?: ReadonlyMap<string, HostTensor>;
  readonly session?: SessionOptions;
  readonly name?: string;
}

interface Entry {
  readonly session: RunSession;
  readonly nodes: number;
}

/**
 * A traced function compiled to ONNX and run by a backend. Sessions are cached by the
 * dtypes and shapes of the feeds (symbolic axes excluded), so retracing happens once per shape.
 */
export class CompiledFn {
  private readonly cache = new Map<string, Promise<Entry>>();

  constructor(
    private readonly backend: Backend,
    private readonly build: BuildFn,
    private readonly options: CompileOptions = {},
  ) {}

  get sessions(): number {
    return this.cache.size;
  }

  private specOf(name: string, t: HostTensor): Dim[] {
    const dyn = this.options.dynamic?.[name] ?? {};
    return t.shape.map((d, i) => dyn[i] ?? d);
  }

  /** Emit the ONNX model for these feeds (also used for export). */
  trace(feeds: Readonly<Record<string, HostTensor>>): { bytes: Uint8Array; nodes: number } {
    const inputs: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) inputs[name] = input(name, t.dtype, this.specOf(name, t));
    const outs = this.build(inputs);
    const { bytes, stats } = emitModel({
      inputs: Object.values(inputs),
      outputs: Object.entries(outs).map(([name, tensor]) => ({ name, tensor })),
      bake: this.options.bake,
      name: this.options.name,
    });
    return { bytes, nodes: stats.nodes };
  }

  private entry(feeds: Readonly<Record<string, HostTensor>>): Promise<Entry> {
    const key = Object.entries(feeds).map(([n, t]) => `${n}:${t.dtype}[${this.specOf(n, t).join(',')}]`).join(';');
    let e = this.cache.get(key);
    if (!e) {
      e = (async () => {
        const { bytes, nodes } = this.trace(feeds);
        return { session: await this.backend.createSession(bytes, this.options.session), nodes };
      })();
      this.cache.set(key, e);
      e.catch(() => this.cache.delete(key));
    }
    return e;
  }

  async run(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>> {
    const { session } = await this.entry(feeds);
    const bake = this.options.bake;
    const live = bake ? Object.fromEntries(Object.entries(feeds).filter(([k]) => !bake.has(k))) : feeds;
    return session.run(live, fetch);
  }

  async release(): Promise<void> {
    const all = [...this.cache.values()];
    this.cache.clear();
    for (const e of all) await (await e).session.release();
  }
}
