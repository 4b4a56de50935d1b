import { topoNodes } from './graph.js';
import type { Tensor } from './tensor.js';
import { shapeEq, shapeStr } from './shape.js';

/** The two things reverse mode needs from the op set: sum of cotangents and a materialised zero. */
export interface GradAlgebra {
  add(a: Tensor, b: Tensor): Tensor;
  zeros(like: Tensor): Tensor;
  ones(like: Tensor): Tensor;
}

/**
 * Reverse-mode differentiation over the traced graph: returns d(out)/d(wrt[i]) as more graph.
 * `seed` is the cotangent of `out` (default: ones, so `out` is normally a scalar loss).
 * Cotangents that never reach a `wrt` are symbolic zeros; one is materialised only when a `wrt` gets none.
 */
export function reverseMode(out: Tensor, wrt: readonly Tensor[], alg: GradAlgebra, seed?: Tensor): Tensor[] {
  const nodes = topoNodes([out]);
  // Which tensors depend on some wrt (forward pass over the topological order).
  const depends = new Set<number>(wrt.map((t) => t.id));
  for (const n of nodes) {
    if (n.inputs.some((t) => depends.has(t.id))) n.outputs.forEach((t) => depends.add(t.id));
  }
  const ct = new Map<number, Tensor>();
  const s = seed ?? alg.ones(out);
  if (!shapeEq(s.shape, out.shape)) throw new Error(`grad seed ${shapeStr(s.shape)} does not match output ${shapeStr(out.shape)}`);
  ct.set(out.id, s);
  const accumulate = (t: Tensor, g: Tensor): void => {
    if (!shapeEq(g.shape, t.shape)) {
      throw new Error(`gradient of ${t} has shape ${shapeStr(g.shape)}; expected ${shapeStr(t.shape)}`);
    }
    const prev = ct.get(t.id);
    ct.set(t.id, prev ? alg.add(prev, g) : g);
  };
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    const cots = n.outputs.map((o) => ct.get(o.id) ?? null);
    if (cots.every((c) => c === null)) continue;
    const needs = n.inputs.map((t) => depends.has(t.id));
    if (!needs.some(Boolean)) continue;
    const rule = n.op.grad;
    if (!rule) throw new Error(`${n.op.name} has no gradient rule, but a gradient flows through it`);
    const gs = rule.call(n.op, { inputs: n.inputs, outputs: n.outputs, cotangents: cots, attrs: n.attrs, needs });
    gs.forEach((g, i) => {
      if (g && needs[i]) accumulate(n.inputs[i]!, g);
    });
    // Free cotangents of this node's outputs: they are no longer needed.
    n.outputs.forEach((o) => { if (!wrt.includes(o)) ct.delete(o.id); });
  }
  return wrt.map((w) => ct.get(w.id) ?? alg.zeros(w));
}
