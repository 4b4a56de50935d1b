import type { HostTensor } from '../core/host.js';
import { numel } from '../core/host.js';
import type { ParamSpec } from '../nn/var_builder.js';

/** One trainable parameter's slot in the flat buffer. */
export interface ParamSlot {
  readonly spec: ParamSpec;
  readonly offset: number;
  readonly size: number;
  /** Learning-rate multiplier (layer-wise decay, head lr, …). */
  lrScale: number;
  /** Weight decay applies to this parameter. */
  decay: boolean;
}

/**
 * All parameters of a model in one flat Float32Array, so the optimizer runs one fused loop and
 * each parameter is a zero-copy view fed to ONNX Runtime.
 */
export class ParamSet {
  readonly flat: Float32Array;
  readonly slots: ParamSlot[] = [];
  private readonly byName = new Map<string, ParamSlot>();

  constructor(specs: readonly ParamSpec[], values: ReadonlyMap<string, HostTensor<'float32'>>) {
    let total = 0;
    for (const spec of specs) {
      const size = numel(spec.shape);
      const slot: ParamSlot = { spec, offset: total, size, lrScale: 1, decay: spec.decay };
      this.slots.push(slot);
      this.byName.set(spec.name, slot);
      total += size;
    }
    this.flat = new Float32Array(total);
    for (const s of this.slots) {
      const v = values.get(s.spec.name);
      if (!v) throw new Error(`no value for parameter ${s.spec.name}`);
      if (v.data.length !== s.size) throw new Error(`parameter ${s.spec.name}: ${v.data.length} values for shape [${s.spec.shape.join(',')}]`);
      this.flat.set(v.data, s.offset);
    }
  }

  get size(): number {
    return this.flat.length;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  slot(name: string): ParamSlot {
    const s = this.byName.get(name);
    if (!s) throw new Error(`unknown parameter ${name}`);
    return s;
  }

  /** Overwrite one parameter's values (e.g. a buffer updated by a training step). */
  write(name: string, values: ArrayLike<number>): void {
    const s = this.slot(name);
    if (values.length !== s.size) throw new Error(`${name}: ${values.length} values for ${s.size}`);
    this.flat.set(values, s.offset);
  }

  /** Zero-copy views of every parameter (valid while the set lives). */
  views(): Map<string, HostTensor<'float32'>> {
    return new Map(this.slots.map((s) => [s.spec.name, { dtype: 'float32', shape: s.spec.shape, data: this.flat.subarray(s.offset, s.offset + s.size) }]));
  }

  /** Copies of every parameter (e.g. for saving while training goes on). */
  snapshot(): Map<string, HostTensor<'float32'>> {
    return new Map(this.slots.map((s) => [s.spec.name, { dtype: 'float32', shape: s.spec.shape, data: this.flat.slice(s.offset, s.offset + s.size) }]));
  }
}
