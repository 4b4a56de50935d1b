/**
 * What the torch unpickler produces for tensors: references to storages in the
 * archive plus view geometry. No tensor bytes are touched while unpickling;
 * `materialise.ts` turns these into HostTensors afterwards.
 */
import type { DType } from '../core/dtype.js';
import { PyHostObject } from './pickle-values.js';
import type { PickleValue } from './pickle-values.js';

/** Storage element types torch may write; int16 has no engine dtype and is widened to int32 on load. */
export type StorageDType = DType | 'int16';

export const STORAGE_ELEMENT_SIZE: Readonly<Record<StorageDType, number>> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, uint8: 1, int8: 1, bool: 1,
};

/** `torch.<Name>Storage` class names → element type. */
export const STORAGE_TYPES: ReadonlyMap<string, StorageDType> = new Map<string, StorageDType>([
  ['FloatStorage', 'float32'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['DoubleStorage', 'float64'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
]);

/** One storage: the bytes of archive entry `data/<key>`, `numel` elements of `dtype`. */
export class StorageRef extends PyHostObject {
  readonly pyType = 'torch.storage';

  constructor(
    readonly key: string,
    readonly dtype: StorageDType,
    readonly numel: number,
    readonly location: string,
  ) {
    super();
  }
}

/** A tensor as a (possibly strided, offset) view of a storage. Offsets and strides count elements. */
export class TensorRef extends PyHostObject {
  readonly pyType = 'torch.Tensor';

  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {
    super();
  }

  /** Tensor subclasses and Parameters may carry Python attributes; they are not needed and are dropped. */
  override build(_state: PickleValue): void {}

  get numel(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }

  /** True when the view is row-major contiguous (size-1 dimensions may have any stride). */
  get isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const d = this.shape[i]!;
      if (d !== 1 && this.stride[i] !== expected) return this.numel === 0;
      expected *= d;
    }
    return true;
  }
}
