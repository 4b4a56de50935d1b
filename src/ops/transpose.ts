import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';

export const transposeOp: Op<{ readonly perm: readonly number[] }> = {
  name: 'transpose',
  infer: (ins, a) => {
    const s = ins[0]!.shape;
    if (a.perm.length !== s.length || [...a.perm].sort((x, y) => x - y).some((p, i) => p !== i)) {
      throw new Error(`bad permutation [${a.perm.join(',')}] for rank ${s.length}`);
    }
    return [{ dtype: ins[0]!.dtype, shape: a.perm.map((p) => s[p]!) }];
  },
  grad: ({ cotangents, attrs }) => {
    const inv = new Array<number>(attrs.perm.length);
    attrs.perm.forEach((p, i) => { inv[p] = i; });
    return [transpose(cotangents[0]!, inv)];
  },
  emit: (ctx, n) => ctx.node('Transpose', n.inputs, n.outputs, { perm: { ints: n.attrs.perm } }),
};

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.every((p, i) => p === i)) return x;
  return apply1(transposeOp, [x], { perm: [...perm] });
}

/** Swap the last two axes. */
export function mT(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return transpose(x, perm);
}
