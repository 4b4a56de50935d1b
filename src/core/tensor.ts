import type { DType } from './dtype.js';
import type { HostTensor } from './host.js';
import type { Op } from './op.js';
import type { Shape } from './shape.js';
import { shapeStr } from './shape.js';

/** Shape and dtype of a value, without its data. */
export interface Meta {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** One application of a primitive in a traced graph. */
export interface Node {
  readonly op: Op<unknown>;
  readonly inputs: readonly Tensor[];
  readonly attrs: unknown;
  readonly outputs: readonly Tensor[];
}

export type Source =
  | { readonly kind: 'input'; readonly name: string }
  | { readonly kind: 'const'; readonly value: HostTensor }
  | { readonly kind: 'node'; readonly node: Node; readonly index: number };

let nextId = 0;

/**
 * A lazy tensor: a value in a traced graph. It holds no data (except constants);
 * computing it means emitting the graph and running it.
 */
export class Tensor implements Meta {
  readonly id: number;
  constructor(
    readonly dtype: DType,
    readonly shape: Shape,
    readonly source: Source,
  ) {
    this.id = nextId++;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The node producing this tensor, if any. */
  get node(): Node | undefined {
    return this.source.kind === 'node' ? this.source.node : undefined;
  }

  toString(): string {
    const what = this.source.kind === 'input' ? `input ${this.source.name}` : this.source.kind === 'const' ? 'const' : this.source.node.op.name;
    return `Tensor#${this.id}<${this.dtype}${shapeStr(this.shape)}> (${what})`;
  }
}

/** A named graph input (a batch tensor or a parameter). */
export function input(name: string, dtype: DType, shape: Shape): Tensor {
  return new Tensor(dtype, shape, { kind: 'input', name });
}

/** A constant known at trace time; emitted as an initializer. */
export function constant(value: HostTensor): Tensor {
  return new Tensor(value.dtype, value.shape, { kind: 'const', value });
}

export function isConst(t: Tensor): t is Tensor & { source: { kind: 'const'; value: HostTensor } } {
  return t.source.kind === 'const';
}
