import type { Shape } from '../core/shape.js';
import { shapeEq, shapeStr } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { input } from '../core/tensor.js';
import type { Init } from './init.js';

/** What a model declares about one parameter. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Init;
  /** Whether weight decay applies (off for biases, norms, tokens, 1-D params). */
  readonly decay: boolean;
  /** A buffer (e.g. batch-norm running statistics): fed like a parameter, never trained. */
  readonly buffer?: boolean;
}

/**
 * Hands out parameters by dotted path, as candle's VarBuilder: `vb.pp('blocks').pp(0).get('gamma_1', …)`
 * yields `blocks.0.gamma_1`. In `declare` mode it records specs and creates graph inputs; in `bind` mode
 * it returns the graph inputs a compiled function was given, checking their shapes.
 */
export class VarBuilder {
  private constructor(
    private readonly store: Map<string, { spec: ParamSpec; tensor: Tensor }>,
    private readonly bound: Readonly<Record<string, Tensor>> | null,
    private readonly prefix: string,
    private readonly pending: Map<string, Tensor> = new Map(),
    /** Training mode: layers such as batch norm use batch statistics and update their buffers. */
    readonly training = false,
  ) {}

  /** A builder that declares parameters as it goes (for discovery, init and export). */
  static declare(): VarBuilder {
    return new VarBuilder(new Map(), null, '');
  }

  /** A builder over existing graph inputs named by parameter path. */
  static bind(inputs: Readonly<Record<string, Tensor>>, opts: { training?: boolean } = {}): VarBuilder {
    return new VarBuilder(new Map(), inputs, '', new Map(), opts.training ?? false);
  }

  /** Push a path component. */
  pp(name: string | number): VarBuilder {
    return new VarBuilder(this.store, this.bound, this.path(String(name)), this.pending, this.training);
  }

  /** A non-trainable buffer (fed like a parameter). */
  buffer(name: string, shape: readonly number[], init: Init): Tensor {
    const t = this.get(name, shape, init, { decay: false });
    const full = this.path(name);
    const entry = this.store.get(full)!;
    this.store.set(full, { spec: { ...entry.spec, buffer: true }, tensor: entry.tensor });
    return t;
  }

  /** Record a buffer's new value (an output of a training step, written back after it). */
  setBuffer(name: string, value: Tensor): void {
    const full = this.path(name);
    if (!this.store.get(full)?.spec.buffer) throw new Error(`${full} is not a buffer`);
    this.pending.set(full, value);
  }

  /** New buffer values recorded by setBuffer, by full name. */
  bufferUpdates(): ReadonlyMap<string, Tensor> {
    return this.pending;
  }

  path(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  get(name: string, shape: readonly number[], init: Init, opts: { decay?: boolean } = {}): Tensor {
    const full = this.path(name);
    const decay = opts.decay ?? (shape.length > 1 && !name.endsWith('bias'));
    const spec: ParamSpec = { name: full, shape: [...shape], init, decay };
    const seen = this.store.get(full);
    if (seen) {
      if (!shapeEq(seen.spec.shape, shape)) throw new Error(`parameter ${full} declared twice with shapes ${shapeStr(seen.spec.shape)} and ${shapeStr(shape)}`);
      return seen.tensor;
    }
    let tensor: Tensor;
    if (this.bound) {
      const t = this.bound[full];
      if (!t) throw new Error(`parameter ${full} was not fed`);
      if (!shapeEq(t.shape, shape as Shape)) throw new Error(`parameter ${full}: fed ${shapeStr(t.shape)}, model expects ${shapeStr(shape)}`);
      tensor = t;
    } else {
      tensor = input(full, 'float32', shape);
    }
    this.store.set(full, { spec, tensor });
    return tensor;
  }

  /** Specs of every parameter requested so far, in declaration order. */
  specs(): ParamSpec[] {
    return [...this.store.values()].map((v) => v.spec);
  }

  /** Graph inputs of every parameter requested so far. */
  tensors(): Map<string, Tensor> {
    return new Map([...this.store].map(([k, v]) => [k, v.tensor]));
  }
}
