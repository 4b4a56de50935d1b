import onnxProto from 'onnx-proto';
import type { DType } from '../core/dtype.js';
import { BYTES_PER_ELEMENT, ONNX_ELEM_TYPE } from '../core/dtype.js';
import type { HostTensor } from '../core/host.js';
import type { AttrValue } from '../core/op.js';
import type { Shape } from '../core/shape.js';

export const onnx = onnxProto.onnx;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

const A = onnx.AttributeProto.AttributeType;

/** Host tensor → TensorProto with little-endian raw_data. */
export function tensorProto(name: string, t: HostTensor): TensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length * BYTES_PER_ELEMENT[t.dtype]);
  return { name, dataType: ONNX_ELEM_TYPE[t.dtype], dims: [...t.shape], rawData: bytes };
}

export function attributeProto(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  if ('i' in v) return { name, type: A.INT, i: v.i };
  if ('f' in v) return { name, type: A.FLOAT, f: v.f };
  if ('s' in v) return { name, type: A.STRING, s: new TextEncoder().encode(v.s) };
  if ('ints' in v) return { name, type: A.INTS, ints: [...v.ints] };
  if ('floats' in v) return { name, type: A.FLOATS, floats: [...v.floats] };
  return { name, type: A.TENSOR, t: tensorProto('', v.t) };
}

export function valueInfo(name: string, dtype: DType, shape: Shape): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_ELEM_TYPE[dtype],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
