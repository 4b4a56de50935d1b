import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import { dimMul, shapeStr } from '../core/shape.js';
import type { Meta, Tensor } from '../core/tensor.js';
import type { ConvGeom, ConvOptions } from './_conv.js';
import { concrete, convOut, convTOut, geom, onnxConvAttrs } from './_conv.js';
import { sameDType } from './_util.js';
import { concat } from './concat.js';
import { convTranspose2d } from './conv_transpose2d.js';
import { matmul } from './matmul.js';
import { pad } from './pad.js';
import { reduceSum } from './reduce_sum.js';
import { reshape } from './reshape.js';
import { slice } from './slice.js';
import { mT, transpose } from './transpose.js';

/** Checks the optional bias [O] of a convolution-like op. */
export function checkBias(ins: readonly Meta[], channels: number): void {
  const b = ins[2];
  if (b && (b.shape.length !== 1 || b.shape[0] !== channels)) throw new Error(`bias must be [${channels}], got ${shapeStr(b.shape)}`);
}

/**
 * Weight gradient of conv2d / convTranspose2d as one forward Conv ("batch as channels"):
 * `a` [N, G*Ca, ...] is regrouped to [Ca, G*N, ...], `b` [N, Cb, ...] is transposed to [Cb, N, ...] and used
 * as the kernel, stride and dilation swap roles; the result is cropped to `kernel` and returned as [Cb, Ca, kh, kw].
 */
export function weightGradConv(a: Tensor, b: Tensor, g: ConvGeom, kernel: readonly [number, number]): Tensor {
  if (g.groups === 1 && g.stride[0] === 1 && g.stride[1] === 1) return weightGradGemm(a, b, g, kernel);
  const [n, c, h, w] = a.shape as [Tensor['shape'][0], number, number, number];
  const groups = g.groups;
  const ca = c / groups;
  const regrouped = groups === 1
    ? transpose(a, [1, 0, 2, 3])
    : reshape(transpose(reshape(a, [n, groups, ca, h, w]), [2, 1, 0, 3, 4]), [ca, dimMul(groups, n), h, w]);
  const kern = transpose(b, [1, 0, 2, 3]);
  let r = conv2d(regrouped, kern, null, { stride: g.dilation, padding: g.pads, dilation: g.stride, groups });
  r = slice(slice(r, 2, 0, kernel[0]), 3, 0, kernel[1]);
  return transpose(r, [1, 0, 2, 3]);
}

/**
 * Stride-1, ungrouped weight gradient as k·k batched GEMMs: dW[:, :, i, j] = Σ_n dy[n] · x_ij[n]ᵀ, where
 * x_ij is the padded input shifted by (i, j)·dilation. ORT runs the "batch as channels" Conv above at a
 * few GFLOP/s for large feature maps (1.2 s for one 768→192 3×3 decoder conv at 56², batch 8); GEMMs run
 * near peak.
 */
function weightGradGemm(x: Tensor, dy: Tensor, g: ConvGeom, kernel: readonly [number, number]): Tensor {
  const [n, ci] = [x.shape[0]!, x.shape[1] as number];
  const [co, ho, wo] = [dy.shape[1] as number, dy.shape[2] as number, dy.shape[3] as number];
  const [pt, pl, pb, pr] = g.pads;
  const xp = pad(x, [0, 0, pt, pl], [0, 0, pb, pr]);
  const l = ho * wo;
  const d3 = reshape(dy, [n, co, l]);
  const taps: Tensor[] = [];
  for (let i = 0; i < kernel[0]; i++) {
    for (let j = 0; j < kernel[1]; j++) {
      const [r0, c0] = [i * g.dilation[0], j * g.dilation[1]];
      const xs = slice(slice(xp, 2, r0, r0 + ho), 3, c0, c0 + wo);
      const prod = matmul(d3, mT(reshape(xs, [n, ci, l]))); // [N, co, ci]
      taps.push(reshape(reduceSum(prod, [0]), [co, ci, 1]));
    }
  }
  return reshape(concat(taps, 2), [co, ci, kernel[0], kernel[1]]);
}

/**
 * 2-D convolution (ONNX Conv): x [N, C, H, W], w [O, C/groups, kh, kw], optional bias [O].
 * Backward: dX is a ConvTranspose with output_padding chosen so the shape matches exactly,
 * dW a forward Conv over transposed tensors (see weightGradConv), dB a ReduceSum.
 */
export const conv2dOp: Op<ConvGeom> = {
  name: 'conv2d',
  infer: (ins, g) => {
    const [x, w] = [ins[0]!, ins[1]!];
    if (x.shape.length !== 4 || w.shape.length !== 4) throw new Error('conv2d needs x [N,C,H,W] and w [O,C/g,kh,kw]');
    const o = concrete(w.shape[0], 'output channels');
    const [kh, kw] = [concrete(w.shape[2], 'kernel height'), concrete(w.shape[3], 'kernel width')];
    const c = x.shape[1]!;
    const cg = w.shape[1]!;
    if (typeof c === 'number' && typeof cg === 'number' && c !== cg * g.groups) {
      throw new Error(`input has ${c} channels but weight expects ${cg}×${g.groups} groups`);
    }
    if (o % g.groups !== 0) throw new Error(`${o} output channels not divisible by ${g.groups} groups`);
    checkBias(ins, o);
    const h = convOut(concrete(x.shape[2], 'height'), kh, g, 0);
    const wd = convOut(concrete(x.shape[3], 'width'), kw, g, 1);
    return [{ dtype: sameDType(ins, 'conv2d'), shape: [x.shape[0]!, o, h, wd] }];
  },
  grad: ({ inputs, cotangents, attrs: g, needs }) => {
    const [x, w] = inputs as [Tensor, Tensor];
    const dy = cotangents[0]!;
    const kernel: [number, number] = [w.shape[2] as number, w.shape[3] as number];
    let dx: Tensor | null = null;
    if (needs[0]) {
      const outPad = ([0, 1] as const).map((ax) => (x.shape[2 + ax] as number) - convTOut(dy.shape[2 + ax] as number, kernel[ax], g, 0, ax));
      dx = convTranspose2d(dy, w, null, { stride: g.stride, padding: g.pads, dilation: g.dilation, groups: g.groups, outputPadding: [outPad[0]!, outPad[1]!] });
    }
    const dw = needs[1] ? weightGradConv(x, dy, g, kernel) : null;
    const db = needs[2] ? reduceSum(dy, [0, 2, 3]) : null;
    return [dx, dw, db];
  },
  emit: (ctx, n) => {
    const w = n.inputMeta[1]!.shape;
    ctx.node('Conv', n.inputs, n.outputs, onnxConvAttrs(n.attrs, [w[2] as number, w[3] as number]));
  },
};

/** torch.nn.functional.conv2d: padding is a number, [padH, padW], or [top, left, bottom, right]. */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return apply1(conv2dOp, bias ? [x, w, bias] : [x, w], geom(opts));
}
