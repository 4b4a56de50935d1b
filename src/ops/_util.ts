import type { DType } from '../core/dtype.js';
import { allocTyped } from '../core/dtype.js';
import type { Meta } from '../core/tensor.js';
import { Tensor, constant } from '../core/tensor.js';
import type { HostTensor } from '../core/host.js';
import { floatToBf16, floatToHalf } from '../core/host.js';

/** A host scalar (or 1-element tensor of `shape`) of the given dtype. */
export function hostScalar(v: number, dtype: DType = 'float32', shape: readonly number[] = []): HostTensor {
  const data = allocTyped(dtype, 1);
  if (dtype === 'int64') (data as BigInt64Array)[0] = BigInt(v);
  else if (dtype === 'float16') (data as Uint16Array)[0] = floatToHalf(v);
  else if (dtype === 'bfloat16') (data as Uint16Array)[0] = floatToBf16(v);
  else (data as Float64Array)[0] = v;
  return { dtype, shape, data };
}

/** A scalar constant of the given dtype. */
export function scalar(v: number, dtype: DType = 'float32'): Tensor {
  return constant(hostScalar(v, dtype));
}

/** Lift a number to a scalar constant matching `like`'s dtype. */
export function lift(v: Tensor | number, like: Meta): Tensor {
  return v instanceof Tensor ? v : scalar(v, like.dtype);
}

export function sameDType(inputs: readonly Meta[], op: string): DType {
  const d = inputs[0]!.dtype;
  for (const m of inputs) if (m.dtype !== d) throw new Error(`${op}: dtype mismatch ${inputs.map((x) => x.dtype).join(' vs ')}`);
  return d;
}

