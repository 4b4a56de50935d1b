import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import { dimMul } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { constant } from '../core/tensor.js';
import type { Pair } from './_conv.js';
import { convTOut } from './_conv.js';
import { convTranspose2d } from './conv_transpose2d.js';
import type { PoolAttrs, PoolOptions } from './max_pool2d.js';
import { poolAttrs, poolOut } from './max_pool2d.js';
import { mul } from './mul.js';
import { reshape } from './reshape.js';

export interface AvgPoolAttrs extends PoolAttrs {
  readonly countIncludePad: boolean;
}

function floatConst(dtype: Tensor['dtype'], shape: readonly number[], values: ArrayLike<number>): Tensor {
  const data = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
  if (dtype !== 'float64' && dtype !== 'float32') throw new Error(`avgPool2d: unsupported dtype ${dtype}`);
  return constant({ dtype, shape, data });
}

/** 1 / (window cells inside the unpadded input) per output position [Ho, Wo] (count_include_pad = false). */
function inverseCounts(h: number, w: number, ho: number, wo: number, a: PoolAttrs): Float64Array {
  const inside = (size: number, out: number, ax: 0 | 1): number[] => Array.from({ length: out }, (_, i) => {
    const start = i * a.stride[ax] - a.pads[ax];
    return Math.min(start + a.kernel[ax], size) - Math.max(start, 0);
  });
  const rows = inside(h, ho, 0);
  const cols = inside(w, wo, 1);
  return Float64Array.from({ length: ho * wo }, (_, k) => 1 / (rows[Math.floor(k / wo)]! * cols[k % wo]!));
}

/**
 * 2-D average pooling (ONNX AveragePool, float32 in ORT). Backward: dy scaled by the window sizes and
 * spread back by a single-channel ConvTranspose with an all-ones kernel over [N·C, 1, Ho, Wo].
 */
export const avgPool2dOp: Op<AvgPoolAttrs> = {
  name: 'avgPool2d',
  infer: (ins, a) => {
    const x = ins[0]!;
    const [h, w] = poolOut(x.shape, a);
    return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, h, w] }];
  },
  grad: ({ inputs, cotangents, attrs: a }) => {
    const x = inputs[0]!;
    const dy = cotangents[0]!;
    const [n, c, h, w] = x.shape as [Tensor['shape'][0], Tensor['shape'][0], number, number];
    const [ho, wo] = [dy.shape[2] as number, dy.shape[3] as number];
    const [kh, kw] = a.kernel;
    const scaled = a.countIncludePad
      ? mul(dy, 1 / (kh * kw))
      : mul(dy, floatConst(dy.dtype, [ho, wo], inverseCounts(h, w, ho, wo, a)));
    const g = { stride: a.stride, pads: a.pads, dilation: a.dilation, groups: 1 };
    const outPad: [number, number] = [h - convTOut(ho, kh, g, 0, 0), w - convTOut(wo, kw, g, 0, 1)];
    const ones = floatConst(dy.dtype, [1, 1, kh, kw], new Float64Array(kh * kw).fill(1));
    const planes = reshape(scaled, [dimMul(n, c), 1, ho, wo]);
    const dx = convTranspose2d(planes, ones, null, { stride: a.stride, padding: a.pads, outputPadding: outPad });
    return [reshape(dx, x.shape)];
  },
  emit: (ctx, n) => {
    const a = n.attrs;
    ctx.node('AveragePool', n.inputs, n.outputs, {
      kernel_shape: { ints: a.kernel },
      strides: { ints: a.stride },
      pads: { ints: a.pads },
      count_include_pad: { i: a.countIncludePad ? 1 : 0 },
    });
  },
};

/** torch.nn.functional.avg_pool2d (ceil_mode = false; count_include_pad defaults to true as in torch). */
export function avgPool2d(x: Tensor, kernel: Pair, opts: PoolOptions & { readonly countIncludePad?: boolean } = {}): Tensor {
  return apply1(avgPool2dOp, [x], { ...poolAttrs(kernel, opts), countIncludePad: opts.countIncludePad ?? true });
}
