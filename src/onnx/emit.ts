import type { HostTensor } from '../core/host.js';
import { leaves, topoNodes } from '../core/graph.js';
import type { Attrs, EmitCtx } from '../core/op.js';
import type { Shape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { NodeProto, TensorProto, ValueInfoProto } from './proto.js';
import { attributeProto, onnx, tensorProto, valueInfo } from './proto.js';

export const OPSET = 17;

export interface ModelSpec {
  /** Graph inputs (tensors made with `input()`), in order. */
  readonly inputs: readonly Tensor[];
  /** Named graph outputs. */
  readonly outputs: readonly { readonly name: string; readonly tensor: Tensor }[];
  /** Inputs whose values are baked into the model as initializers (e.g. weights for export). */
  readonly bake?: ReadonlyMap<string, HostTensor>;
  readonly name?: string;
  readonly docString?: string;
}

export interface EmitStats {
  readonly nodes: number;
  readonly initializers: number;
}

class Emitter implements EmitCtx {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private counter = 0;
  private readonly small = new Map<string, string>();
  private readonly dims = new Map<string, string>();

  constructor(private readonly symbols: ReadonlyMap<string, { input: string; axis: number }>) {}

  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Attrs = {}, domain = ''): void {
    this.nodes.push({
      opType,
      domain,
      input: [...inputs],
      output: [...outputs],
      name: `${opType}_${this.nodes.length}`,
      attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
    });
  }

  tmp(hint = 't'): string {
    return `_${hint}${this.counter++}`;
  }

  constant(value: HostTensor): string {
    let key: string | undefined;
    if (value.data.length <= 64) {
      key = `${value.dtype}|${value.shape.join(',')}|${Array.from(value.data as ArrayLike<number | bigint>, String).join(',')}`;
      const hit = this.small.get(key);
      if (hit) return hit;
    }
    const name = this.tmp('c');
    this.inits.push(tensorProto(name, value));
    if (key) this.small.set(key, name);
    return name;
  }

  int64s(values: readonly number[]): string {
    return this.constant({ dtype: 'int64', shape: [values.length], data: BigInt64Array.from(values, BigInt) });
  }

  /** A [1] int64 tensor holding a (possibly composite, e.g. 'B*196') symbolic dim at run time. */
  private dim(sym: string): string {
    const hit = this.dims.get(sym);
    if (hit) return hit;
    const parts = sym.split('*').map((f) => {
      if (/^\d+$/.test(f)) return this.int64s([Number(f)]);
      const at = this.symbols.get(f);
      if (!at) throw new Error(`symbolic dim '${f}' does not appear in any graph input`);
      const s = this.tmp('dim');
      this.node('Shape', [at.input], [s], { start: { i: at.axis }, end: { i: at.axis + 1 } });
      return s;
    });
    let out = parts[0]!;
    for (const p of parts.slice(1)) {
      const m = this.tmp('dim');
      this.node('Mul', [out, p], [m]);
      out = m;
    }
    this.dims.set(sym, out);
    return out;
  }

  shapeTensor(shape: Shape): string {
    if (shape.every((d) => typeof d === 'number')) return this.int64s(shape as number[]);
    const parts = shape.map((d) => (typeof d === 'number' ? this.int64s([d]) : this.dim(d)));
    const out = this.tmp('shape');
    this.node('Concat', parts, [out], { axis: { i: 0 } });
    return out;
  }
}

function valueName(t: Tensor): string {
  return t.source.kind === 'input' ? t.source.name : `_v${t.id}`;
}

/** Emit a traced graph as an ONNX ModelProto (opset 17), returning its serialized bytes. */
export function emitModel(spec: ModelSpec): { bytes: Uint8Array; stats: EmitStats } {
  const outs = spec.outputs.map((o) => o.tensor);
  const nodes = topoNodes(outs);
  const declared = new Map(spec.inputs.map((t) => [t.id, t]));
  const symbols = new Map<string, { input: string; axis: number }>();
  for (const t of spec.inputs) {
    if (t.source.kind !== 'input') throw new Error(`graph input ${t} is not an input()`);
    if (spec.bake?.has(t.source.name)) continue;
    t.shape.forEach((d, axis) => {
      if (typeof d === 'string' && !d.includes('*') && !symbols.has(d)) symbols.set(d, { input: valueName(t), axis });
    });
  }
  const e = new Emitter(symbols);
  const constNames = new Map<number, string>();
  const nameOf = (t: Tensor): string => {
    if (t.source.kind === 'const') {
      let n = constNames.get(t.id);
      if (!n) constNames.set(t.id, (n = e.constant(t.source.value)));
      return n;
    }
    if (t.source.kind === 'input' && !declared.has(t.id)) throw new Error(`graph uses undeclared input '${t.source.name}'`);
    return valueName(t);
  };
  for (const o of outs) if (o.source.kind !== 'node') nameOf(o);
  for (const n of nodes) {
    n.op.emit(e, {
      inputs: n.inputs.map(nameOf),
      outputs: n.outputs.map(valueName),
      inputMeta: n.inputs,
      outputMeta: n.outputs,
      attrs: n.attrs,
    });
  }
  // Outputs go through an Identity even when a node could write them directly: ORT allocates graph
  // outputs fresh, and page-faulting those in made the ViT-B training step ~5% slower than this copy.
  const graphOutputs: ValueInfoProto[] = spec.outputs.map(({ name, tensor }) => {
    e.node('Identity', [nameOf(tensor)], [name]);
    return valueInfo(name, tensor.dtype, tensor.shape);
  });
  const graphInputs: ValueInfoProto[] = [];
  const used = new Set(leaves(outs).map((t) => t.id));
  for (const t of spec.inputs) {
    const name = valueName(t);
    const baked = spec.bake?.get(name);
    if (!baked) graphInputs.push(valueInfo(name, t.dtype, t.shape));
    else if (used.has(t.id)) e.inits.push(tensorProto(name, baked));
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'usfm',
    producerVersion: '0.1.0',
    docString: spec.docString ?? '',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name: spec.name ?? 'usfm', node: e.nodes, initializer: e.inits, input: graphInputs, output: graphOutputs },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), stats: { nodes: e.nodes.length, initializers: e.inits.length } };
}
