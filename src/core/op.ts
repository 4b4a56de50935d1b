import type { HostTensor } from './host.js';
import type { Shape } from './shape.js';
import type { Meta, Node } from './tensor.js';
import { Tensor } from './tensor.js';

/** An ONNX attribute value, tagged with its ONNX kind. */
export type AttrValue =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly t: HostTensor };

export type Attrs = Readonly<Record<string, AttrValue>>;

/** What an op's emitter may do: add ONNX nodes and constants to the model being written. */
export interface EmitCtx {
  /** Adds one ONNX node. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: Attrs, domain?: string): void;
  /** A fresh value name for an intermediate. */
  tmp(hint?: string): string;
  /** Name of an initializer holding this constant (deduplicated for small ones). */
  constant(value: HostTensor): string;
  /** Name of a 1-D int64 initializer with these values. */
  int64s(values: readonly number[]): string;
  /** Name of a 1-D int64 value holding this shape; symbolic dims are read from the graph inputs at run time. */
  shapeTensor(shape: Shape): string;
}

/** One node as the emitter sees it: value names plus metadata. */
export interface EmitNode<A> {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly inputMeta: readonly Meta[];
  readonly outputMeta: readonly Meta[];
  readonly attrs: A;
}

/** What a gradient rule gets: the forward node and the cotangents of its outputs. */
export interface GradArgs<A> {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /** Cotangent per output; null = symbolic zero. At least one is non-null. */
  readonly cotangents: readonly (Tensor | null)[];
  readonly attrs: A;
  /** Which inputs need a gradient. Rules may skip the others (return null). */
  readonly needs: readonly boolean[];
}

/**
 * A primitive: its shape rule, gradient rule and ONNX emission side by side.
 * Ops are imported by value and never looked up by name.
 */
export interface Op<A> {
  readonly name: string;
  infer(inputs: readonly Meta[], attrs: A): Meta[];
  /** Cotangent per input (null = zero). Absent: the op is not differentiable. */
  grad?(args: GradArgs<A>): (Tensor | null)[];
  emit(ctx: EmitCtx, node: EmitNode<A>): void;
}

/** Apply a primitive to tensors, recording a node; returns its outputs. */
export function apply<A>(op: Op<A>, inputs: readonly Tensor[], attrs: A): Tensor[] {
  let metas: Meta[];
  try {
    metas = op.infer(inputs, attrs);
  } catch (e) {
    const shapes = inputs.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(', ');
    throw new Error(`${op.name}(${shapes}): ${(e as Error).message}`);
  }
  const outputs: Tensor[] = [];
  const node: Node = { op: op as Op<unknown>, inputs: [...inputs], attrs, outputs };
  metas.forEach((m, index) => outputs.push(new Tensor(m.dtype, m.shape, { kind: 'node', node, index })));
  Object.freeze(outputs);
  // A copy: callers may reorder what they get without touching the node.
  return [...outputs];
}

/** Apply a single-output primitive. */
export function apply1<A>(op: Op<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  return apply(op, inputs, attrs)[0]!;
}
