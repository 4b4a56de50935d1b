import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Dim } from '../core/shape.js';
import { dimProd, shapeStr } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { sameDType } from './_util.js';
import { matmul } from './matmul.js';
import { reduceSum } from './reduce_sum.js';
import { reshape } from './reshape.js';
import { mT } from './transpose.js';

/**
 * torch.nn.functional.linear on a 2-D input: y = x W^T + b with W [out, in] in torch's layout,
 * emitted as one Gemm(transB). Its gradients need no transposed copies: dx = dy W,
 * dW = dy^T x (ORT folds the transpose into the GEMM), db = Σ dy.
 */
export const linearOp: Op<null> = {
  name: 'linear',
  infer: (ins) => {
    const [x, w, b] = ins as [typeof ins[0] & object, typeof ins[0] & object, (typeof ins[0]) | undefined];
    if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[1]) {
      throw new Error(`linear needs x [M, in] and W [out, in], got ${shapeStr(x.shape)} and ${shapeStr(w.shape)}`);
    }
    if (b && (b.shape.length !== 1 || b.shape[0] !== w.shape[0])) throw new Error(`bias ${shapeStr(b.shape)} does not match W ${shapeStr(w.shape)}`);
    return [{ dtype: sameDType(ins, 'linear'), shape: [x.shape[0]!, w.shape[0]!] }];
  },
  grad: ({ inputs, cotangents, needs }) => {
    const [x, w] = inputs as [Tensor, Tensor];
    const dy = cotangents[0]!;
    return [
      needs[0] ? matmul(dy, w) : null,
      needs[1] ? matmul(mT(dy), x) : null,
      needs[2] ? reduceSum(dy, [0]) : null,
    ];
  },
  emit: (ctx, n) => ctx.node('Gemm', n.inputs, n.outputs, { transB: { i: 1 } }),
};

/** y = x W^T + b over the last axis of x (any rank ≥ 2; leading axes are folded into one GEMM). */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const lead: Dim[] = x.shape.slice(0, -1) as Dim[];
  const x2 = x.rank === 2 ? x : reshape(x, [dimProd(lead), x.shape[x.rank - 1]!]);
  const y = apply1(linearOp, b ? [x2, w, b] : [x2, w], null);
  return x.rank === 2 ? y : reshape(y, [...lead, w.shape[0]!]);
}
