import type { Node, Tensor } from './tensor.js';

/** Nodes needed to compute `outputs`, in topological order (iterative DFS, no recursion limit). */
export function topoNodes(outputs: readonly Tensor[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: { node: Node; next: number }[] = [];
  const push = (t: Tensor): void => {
    const n = t.node;
    if (n && !seen.has(n)) {
      seen.add(n);
      stack.push({ node: n, next: 0 });
    }
  };
  for (const o of outputs) {
    push(o);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.node.inputs.length) {
        push(top.node.inputs[top.next++]!);
      } else {
        stack.pop();
        order.push(top.node);
      }
    }
  }
  return order;
}

/** Leaf tensors (inputs and constants) reachable from `outputs`. */
export function leaves(outputs: readonly Tensor[]): Tensor[] {
  const out = new Map<number, Tensor>();
  const visit = (t: Tensor): void => {
    if (t.source.kind !== 'node') out.set(t.id, t);
  };
  outputs.forEach(visit);
  for (const n of topoNodes(outputs)) n.inputs.forEach(visit);
  return [...out.values()];
}
