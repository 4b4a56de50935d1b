import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Dim } from '../core/shape.js';
import { normAxis } from '../core/shape.js';
import type { Meta, Tensor } from '../core/tensor.js';
import { expand } from './expand.js';
import { reshape } from './reshape.js';

export interface ReduceAttrs { readonly axes: readonly number[]; readonly keepdims: boolean }

/** Output shape of a reduction, and the keepdims shape used to broadcast a gradient back. */
export function reducedShapes(x: Meta, a: ReduceAttrs): { out: Dim[]; kept: Dim[] } {
  const axes = new Set(a.axes.map((ax) => normAxis(ax, x.shape.length)));
  const kept = x.shape.map((d, i) => (axes.has(i) ? 1 : d));
  return { out: a.keepdims ? kept : x.shape.filter((_, i) => !axes.has(i)), kept };
}

/** Broadcast a reduction's cotangent back to the input's shape. */
export function unreduce(dy: Tensor, x: Meta, a: ReduceAttrs): Tensor {
  return expand(reshape(dy, reducedShapes(x, a).kept), x.shape);
}

/** Emission for the opset-17 reductions that take `axes` as an attribute (ReduceMean, ReduceMax, …). */
export function emitAxesAttrReduce(opType: string): Op<ReduceAttrs>['emit'] {
  return (ctx, n) => {
    const axes = n.attrs.axes.map((ax) => normAxis(ax, n.inputMeta[0]!.shape.length));
    ctx.node(opType, n.inputs, n.outputs, { axes: { ints: axes }, keepdims: { i: n.attrs.keepdims ? 1 : 0 } });
  };
}

export const reduceSumOp: Op<ReduceAttrs> = {
  name: 'reduceSum',
  infer: (ins, a) => [{ dtype: ins[0]!.dtype, shape: reducedShapes(ins[0]!, a).out }],
  grad: ({ inputs, cotangents, attrs }) => [unreduce(cotangents[0]!, inputs[0]!, attrs)],
  emit: (ctx, n) => {
    const axes = n.attrs.axes.map((ax) => normAxis(ax, n.inputMeta[0]!.shape.length));
    ctx.node('ReduceSum', [n.inputs[0]!, ctx.int64s(axes)], n.outputs, { keepdims: { i: n.attrs.keepdims ? 1 : 0 } });
  },
};

export function reduceSum(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const ax = axes ?? x.shape.map((_, i) => i);
  if (ax.length === 0) return x;
  return apply1(reduceSumOp, [x], { axes: [...ax], keepdims });
}
