import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import { broadcastShapes, dimProd, shapeStr } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { sameDType } from './_util.js';
import { reshape } from './reshape.js';
import { mT } from './transpose.js';
import { sumTo } from './unbroadcast.js';

/** Batched matrix product [..., M, K] @ [..., K, N] with broadcast batch dims (both rank >= 2). */
export const matmulOp: Op<null> = {
  name: 'matmul',
  infer: (ins) => {
    const [a, b] = [ins[0]!.shape, ins[1]!.shape];
    if (a.length < 2 || b.length < 2) throw new Error('matmul needs rank >= 2 operands');
    if (a[a.length - 1] !== b[b.length - 2]) throw new Error(`inner dims differ: ${shapeStr(a)} @ ${shapeStr(b)}`);
    const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
    return [{ dtype: sameDType(ins, 'matmul'), shape: [...batch, a[a.length - 2]!, b[b.length - 1]!] }];
  },
  grad: ({ inputs, cotangents, needs }) => {
    const [a, b] = inputs as [Tensor, Tensor];
    const dy = cotangents[0]!;
    const da = needs[0] ? sumTo(matmul(dy, mT(b)), a.shape) : null;
    let db: Tensor | null = null;
    if (needs[1]) {
      if (b.rank === 2 && a.rank > 2) {
        // A weight shared over the batch: one GEMM with the batch folded into K.
        const k = a.shape[a.rank - 1]!;
        const n = b.shape[1]!;
        const rows = dimProd(a.shape.slice(0, -1));
        db = matmul(mT(reshape(a, [rows, k])), reshape(dy, [rows, n]));
      } else {
        db = sumTo(matmul(mT(a), dy), b.shape);
      }
    }
    return [da, db];
  },
  emit: (ctx, n) => ctx.node('MatMul', n.inputs, n.outputs),
};

export function matmul(a: Tensor, b: Tensor): Tensor {
  return apply1(matmulOp, [a, b], null);
}
