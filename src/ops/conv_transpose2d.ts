import type { Op } from '../core/op.js';
import { apply1 } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import type { ConvGeom, ConvOptions, Pair } from './_conv.js';
import { concrete, convTOut, geom, onnxConvAttrs, pair } from './_conv.js';
import { sameDType } from './_util.js';
import { checkBias, conv2d, weightGradConv } from './conv2d.js';
import { reduceSum } from './reduce_sum.js';
import { slice } from './slice.js';

export interface ConvTAttrs extends ConvGeom {
  readonly outputPadding: readonly [number, number];
}

export interface ConvTransposeOptions extends ConvOptions {
  /** Extra rows/columns added at the bottom/right of the output (torch output_padding). */
  readonly outputPadding?: Pair;
}

/**
 * 2-D transposed convolution (ONNX ConvTranspose), torch layout: x [N, Cin, H, W],
 * w [Cin, Cout/groups, kh, kw], optional bias [Cout]. Backward: dX is a forward Conv with the
 * same weight, dW a forward Conv over transposed tensors (see weightGradConv), dB a ReduceSum.
 */
export const convTranspose2dOp: Op<ConvTAttrs> = {
  name: 'convTranspose2d',
  infer: (ins, a) => {
    const [x, w] = [ins[0]!, ins[1]!];
    if (x.shape.length !== 4 || w.shape.length !== 4) throw new Error('convTranspose2d needs x [N,Cin,H,W] and w [Cin,Cout/g,kh,kw]');
    const cin = concrete(w.shape[0], 'input channels');
    if (x.shape[1] !== cin) throw new Error(`input has ${String(x.shape[1])} channels, weight expects ${cin}`);
    if (cin % a.groups !== 0) throw new Error(`${cin} input channels not divisible by ${a.groups} groups`);
    const cout = concrete(w.shape[1], 'output channels per group') * a.groups;
    checkBias(ins, cout);
    a.outputPadding.forEach((p, i) => {
      if (!(p >= 0 && (p < a.stride[i]! || p < a.dilation[i]!))) throw new Error(`output_padding ${p} must be < stride or dilation`);
    });
    const [kh, kw] = [concrete(w.shape[2], 'kernel height'), concrete(w.shape[3], 'kernel width')];
    const h = convTOut(concrete(x.shape[2], 'height'), kh, a, a.outputPadding[0], 0);
    const wd = convTOut(concrete(x.shape[3], 'width'), kw, a, a.outputPadding[1], 1);
    if (h < 1 || wd < 1) throw new Error(`empty output ${h}×${wd}`);
    return [{ dtype: sameDType(ins, 'convTranspose2d'), shape: [x.shape[0]!, cout, h, wd] }];
  },
  grad: ({ inputs, cotangents, attrs: a, needs }) => {
    const [x, w] = inputs as [Tensor, Tensor];
    const dy = cotangents[0]!;
    const kernel: [number, number] = [w.shape[2] as number, w.shape[3] as number];
    const g: ConvGeom = { stride: a.stride, pads: a.pads, dilation: a.dilation, groups: a.groups };
    let dx: Tensor | null = null;
    if (needs[0]) {
      dx = conv2d(dy, w, null, { stride: a.stride, padding: a.pads, dilation: a.dilation, groups: a.groups });
      // output_padding >= stride (allowed when dilation is larger) leaves extra rows: crop them.
      dx = slice(slice(dx, 2, 0, x.shape[2] as number), 3, 0, x.shape[3] as number);
    }
    const dw = needs[1] ? weightGradConv(dy, x, g, kernel) : null;
    const db = needs[2] ? reduceSum(dy, [0, 2, 3]) : null;
    return [dx, dw, db];
  },
  emit: (ctx, n) => {
    const w = n.inputMeta[1]!.shape;
    const kernel: [number, number] = [w[2] as number, w[3] as number];
    const a = n.attrs;
    if (a.outputPadding.every((p, i) => p < a.stride[i]!)) {
      ctx.node('ConvTranspose', n.inputs, n.outputs, { ...onnxConvAttrs(a, kernel), output_padding: { ints: a.outputPadding } });
      return;
    }
    // ORT rejects output_padding >= stride (torch allows it below the dilation). output_padding only
    // uncrops the end padding, then appends zero rows: emit exactly that.
    const endPads = [0, 1].map((i) => a.pads[i + 2]! - a.outputPadding[i]!);
    const pads = [a.pads[0], a.pads[1], Math.max(0, endPads[0]!), Math.max(0, endPads[1]!)] as const;
    // The bias is added after the Pad, so the appended rows get it too (as in torch).
    const [x, w0, bias] = n.inputs;
    const t = ctx.tmp('convT');
    ctx.node('ConvTranspose', [x!, w0!], [t], onnxConvAttrs({ ...a, pads }, kernel));
    const extra = endPads.map((p) => Math.max(0, -p));
    const padded = bias ? ctx.tmp('convT') : n.outputs[0]!;
    ctx.node('Pad', [t, ctx.int64s([0, 0, 0, 0, 0, 0, extra[0]!, extra[1]!])], [padded], { mode: { s: 'constant' } });
    if (bias) {
      const b4 = ctx.tmp('bias');
      ctx.node('Reshape', [bias, ctx.int64s([1, -1, 1, 1])], [b4]);
      ctx.node('Add', [padded, b4], n.outputs);
    }
  },
};

/** torch.nn.functional.conv_transpose2d (padding as in conv2d; outputPadding adds rows/columns at the end). */
export function convTranspose2d(x: Tensor, w: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  const { stride, pads, dilation, groups } = geom(opts);
  return apply1(convTranspose2dOp, bias ? [x, w, bias] : [x, w], { stride, pads, dilation, groups, outputPadding: pair(opts.outputPadding, 0) });
}
