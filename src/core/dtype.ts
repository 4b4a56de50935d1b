/** Element types the engine knows, with their typed-array and ONNX counterparts. */
export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool';

export interface TypedArrayFor {
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  int8: Int8Array;
  bool: Uint8Array;
}

export type AnyTypedArray = TypedArrayFor[DType];

/** ONNX TensorProto.DataType numbers. */
export const ONNX_ELEM_TYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

export const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  uint8: 1,
  int8: 1,
  bool: 1,
};

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';
}

/** Allocate a zeroed typed array of `n` elements for `dtype`. */
export function allocTyped<D extends DType>(dtype: D, n: number): TypedArrayFor[D] {
  switch (dtype) {
    case 'float32': return new Float32Array(n) as TypedArrayFor[D];
    case 'float16': case 'bfloat16': return new Uint16Array(n) as TypedArrayFor[D];
    case 'float64': return new Float64Array(n) as TypedArrayFor[D];
    case 'int64': return new BigInt64Array(n) as TypedArrayFor[D];
    case 'int32': return new Int32Array(n) as TypedArrayFor[D];
    case 'uint8': case 'bool': return new Uint8Array(n) as TypedArrayFor[D];
    case 'int8': return new Int8Array(n) as TypedArrayFor[D];
    default: throw new Error(`unknown dtype ${String(dtype)}`);
  }
}
