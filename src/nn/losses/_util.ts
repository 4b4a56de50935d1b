import type { DType } from '../../core/dtype.js';
import { isFloat } from '../../core/dtype.js';
import type { Dim } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import { constant } from '../../core/tensor.js';
import { cast, equal, reshape } from '../../ops/index.js';

/** Integer class targets [N, ...] → float one-hot [N, C, ...] over axis 1 (out-of-range labels give all zeros). */
export function oneHot(target: Tensor, classes: number, dtype: DType): Tensor {
  if (isFloat(target.dtype)) throw new Error(`class targets must be integers, got ${target.dtype}`);
  const t = reshape(target, [target.shape[0]!, 1, ...target.shape.slice(1)]);
  const shape = [1, classes, ...target.shape.slice(1).map(() => 1)];
  const ids = target.dtype === 'int32'
    ? constant({ dtype: 'int32', shape, data: Int32Array.from({ length: classes }, (_, i) => i) })
    : constant({ dtype: 'int64', shape, data: BigInt64Array.from({ length: classes }, (_, i) => BigInt(i)) });
  return cast(equal(t, cast(ids, t.dtype)), dtype);
}

/** [1, C, 1, …] broadcast shape of a per-class vector against [N, C, …]. */
export function classShape(x: Tensor): Dim[] {
  return x.shape.map((d, i) => (i === 1 ? d : 1));
}

/** Number of classes (axis 1), which must be concrete. */
export function numClasses(logits: Tensor): number {
  const c = logits.shape[1];
  if (logits.rank < 2 || typeof c !== 'number') throw new Error('logits must be [N, C, …] with a concrete C');
  return c;
}
