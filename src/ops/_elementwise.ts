import type { DType } from '../core/dtype.js';
import type { GradArgs, Op } from '../core/op.js';
import { broadcastShapes } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { sameDType } from './_util.js';

/** Shared shape rule and emission for broadcasting binary ops; each op file supplies its gradient. */
export function binaryOp(
  name: string,
  onnxType: string,
  grad?: (a: Tensor, b: Tensor, y: Tensor, dy: Tensor, needs: readonly boolean[]) => (Tensor | null)[],
  outDType?: DType,
): Op<null> {
  return {
    name,
    infer: (ins) => [{ dtype: outDType ?? sameDType(ins, name), shape: broadcastShapes(ins[0]!.shape, ins[1]!.shape) }],
    grad: grad
      ? ({ inputs, outputs, cotangents, needs }: GradArgs<null>) => grad(inputs[0]!, inputs[1]!, outputs[0]!, cotangents[0]!, needs)
      : undefined,
    emit: (ctx, n) => ctx.node(onnxType, n.inputs, n.outputs),
  };
}

/** Shared shape rule and emission for unary ops. */
export function unaryOp(
  name: string,
  onnxType: string,
  grad?: (x: Tensor, y: Tensor, dy: Tensor) => Tensor,
): Op<null> {
  return {
    name,
    infer: (ins) => [{ dtype: ins[0]!.dtype, shape: ins[0]!.shape }],
    grad: grad ? ({ inputs, outputs, cotangents }: GradArgs<null>) => [grad(inputs[0]!, outputs[0]!, cotangents[0]!)] : undefined,
    emit: (ctx, n) => ctx.node(onnxType, n.inputs, n.outputs),
  };
}
