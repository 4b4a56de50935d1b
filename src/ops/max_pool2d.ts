import type { Op } from '../core/op.js';
import { apply } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import type { Padding, Pair } from './_conv.js';
import { concrete, convOut, pads4, pair } from './_conv.js';
import { zerosLike } from './fill_like.js';
import { reshape } from './reshape.js';
import { scatterAdd } from './scatter_add.js';

export interface PoolAttrs {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  /** ONNX order: [top, left, bottom, right]. */
  readonly pads: readonly [number, number, number, number];
  readonly dilation: readonly [number, number];
}

export interface PoolOptions {
  /** Defaults to the kernel size (as torch). */
  readonly stride?: Pair;
  readonly padding?: Padding;
}

export function poolAttrs(kernel: Pair, o: PoolOptions & { readonly dilation?: Pair }): PoolAttrs {
  const k = pair(kernel, 1);
  const a: PoolAttrs = { kernel: k, stride: pair(o.stride ?? k, 1), pads: pads4(o.padding), dilation: pair(o.dilation, 1) };
  if ([...a.kernel, ...a.stride, ...a.dilation].some((v) => !Number.isInteger(v) || v < 1)) throw new Error('kernel, stride and dilation must be positive integers');
  a.pads.forEach((p, i) => {
    if (!(p >= 0 && 2 * p <= a.kernel[i % 2]!)) throw new Error(`pad ${p} must be at most half the kernel ${a.kernel[i % 2]}`);
  });
  return a;
}

/** Output [Ho, Wo] of a pooling window sweep over x [N, C, H, W]. */
export function poolOut(x: Tensor['shape'], a: PoolAttrs): [number, number] {
  if (x.length !== 4) throw new Error('pooling needs x [N, C, H, W]');
  const g = { stride: a.stride, pads: a.pads, dilation: a.dilation, groups: 1 };
  return [convOut(concrete(x[2], 'height'), a.kernel[0], g, 0), convOut(concrete(x[3], 'width'), a.kernel[1], g, 1)];
}

/**
 * 2-D max pooling (ONNX MaxPool; padding acts as −inf). Second output: the argmax as a flat index into
 * each H·W plane (int64). Backward: a deterministic ScatterElements-add of dy at those indices over the
 * flattened spatial axis (never ScatterND-add, which races in ORT).
 */
export const maxPool2dOp: Op<PoolAttrs> = {
  name: 'maxPool2d',
  infer: (ins, a) => {
    const x = ins[0]!;
    const [h, w] = poolOut(x.shape, a);
    const out = [x.shape[0]!, x.shape[1]!, h, w];
    return [{ dtype: x.dtype, shape: out }, { dtype: 'int64', shape: out }];
  },
  grad: ({ inputs, outputs, cotangents }) => {
    const x = inputs[0]!;
    const dy = cotangents[0];
    if (!dy) return [null];
    const [n, c, h, w] = x.shape as [Tensor['shape'][0], Tensor['shape'][0], number, number];
    const ho = dy.shape[2] as number;
    const wo = dy.shape[3] as number;
    const base = zerosLike(reshape(x, [n, c, h * w]));
    const idx = reshape(outputs[1]!, [n, c, ho * wo]);
    return [reshape(scatterAdd(base, idx, reshape(dy, [n, c, ho * wo]), 2), x.shape)];
  },
  emit: (ctx, n) => {
    const x = n.inputMeta[0]!.shape;
    const a = n.attrs;
    const raw = ctx.tmp('argmax');
    ctx.node('MaxPool', n.inputs, [n.outputs[0]!, raw], {
      kernel_shape: { ints: a.kernel },
      strides: { ints: a.stride },
      pads: { ints: a.pads },
      dilations: { ints: a.dilation },
    });
    // ONNX Indices count from the start of the whole tensor; keep the position within the H·W plane.
    ctx.node('Mod', [raw, ctx.int64s([(x[2] as number) * (x[3] as number)])], [n.outputs[1]!]);
  },
};

/** torch.nn.functional.max_pool2d (ceil_mode = false). */
export function maxPool2d(x: Tensor, kernel: Pair, opts: PoolOptions & { readonly dilation?: Pair } = {}): Tensor {
  return apply(maxPool2dOp, [x], poolAttrs(kernel, opts))[0]!;
}

/** max_pool2d that also returns the argmax (flat index within each H·W plane, int64), like return_indices=True. */
export function maxPool2dWithIndices(x: Tensor, kernel: Pair, opts: PoolOptions & { readonly dilation?: Pair } = {}): { y: Tensor; indices: Tensor } {
  const [y, indices] = apply(maxPool2dOp, [x], poolAttrs(kernel, opts)) as [Tensor, Tensor];
  return { y, indices };
}
