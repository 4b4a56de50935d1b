import type { HostTensor } from '../core/host.js';
import type { Op } from '../core/op.js';
import { apply } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { concrete } from './_conv.js';
import { sameDType } from './_util.js';
import { zerosLike } from './fill_like.js';

interface DftAttrs {
  /** Exponent sign: −1 forward, +1 inverse. */
  readonly sign: 1 | -1;
  readonly scale: number;
}

/**
 * [C | σS]·scale as a [n, 2n] matrix (C, S symmetric: cos/sin(2π jk/n)); transposed it is [C; σS]·scale.
 * Angles are reduced mod n in integers so large products stay exact.
 */
function basis(n: number, sign: number, scale: number, dtype: 'float32' | 'float64', stacked: 'cols' | 'rows'): HostTensor {
  const data = dtype === 'float64' ? new Float64Array(2 * n * n) : new Float32Array(2 * n * n);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < n; k++) {
      const a = (2 * Math.PI * ((j * k) % n)) / n;
      const [c, s] = [Math.cos(a) * scale, sign * Math.sin(a) * scale];
      if (stacked === 'cols') { data[j * 2 * n + k] = c; data[j * 2 * n + n + k] = s; } else { data[j * n + k] = c; data[(n + j) * n + k] = s; }
    }
  }
  return { dtype, shape: stacked === 'cols' ? [n, 2 * n] : [2 * n, n], data };
}

/**
 * 2-D DFT over the last two axes as two constant matrix products: Y = scale · E_H · Z · E_W with
 * E = C + iσS. At [8,3,224,224] float32 on 2 CPU threads this beat two ORT DFT nodes (opset 17) about 4×
 * (fwd 78 vs 327 ms, fwd+bwd 128 vs 511 ms) and was 100× more accurate (max error 3e-4 vs 2.5e-2).
 * Inputs: re (and optionally im); outputs re, im. The adjoint is the same op with the opposite sign,
 * so the gradient is one more DFT of the complex cotangent (real input: its real part).
 */
export const dft2Op: Op<DftAttrs> = {
  name: 'dft2',
  infer: (ins) => {
    const x = ins[0]!;
    if (x.shape.length < 2) throw new Error('dft2 needs [..., H, W]');
    concrete(x.shape[x.shape.length - 2], 'height');
    concrete(x.shape[x.shape.length - 1], 'width');
    if (ins[1] && ins[1].shape.join() !== x.shape.join()) throw new Error('re and im shapes differ');
    const m = { dtype: sameDType(ins, 'dft2'), shape: x.shape };
    if (m.dtype !== 'float32' && m.dtype !== 'float64') throw new Error(`dft2: unsupported dtype ${m.dtype}`);
    return [m, m];
  },
  grad: ({ inputs, cotangents, attrs, needs }) => {
    const [gr, gi] = [cotangents[0] ?? zerosLike(cotangents[1]!), cotangents[1] ?? zerosLike(cotangents[0]!)];
    const [dr, di] = apply(dft2Op, [gr, gi], { sign: attrs.sign === 1 ? -1 : 1, scale: attrs.scale }) as [Tensor, Tensor];
    return inputs.length === 1 ? [dr] : [needs[0] ? dr : null, needs[1] ? di : null];
  },
  emit: (ctx, n) => {
    const x = n.inputMeta[0]!;
    const dt = x.dtype as 'float32' | 'float64';
    const r = x.shape.length;
    const [h, w] = [x.shape[r - 2] as number, x.shape[r - 1] as number];
    const bw = ctx.constant(basis(w, n.attrs.sign, n.attrs.scale, dt, 'cols'));
    const bh = ctx.constant(basis(h, n.attrs.sign, 1, dt, 'rows'));
    const block = (src: string, rows: number, cols: number, i: 0 | 1, j: 0 | 1): string => {
      const out = ctx.tmp('blk');
      ctx.node('Slice', [src, ctx.int64s([i * rows, j * cols]), ctx.int64s([(i + 1) * rows, (j + 1) * cols]), ctx.int64s([r - 2, r - 1])], [out]);
      return out;
    };
    // [Tr | Ti] = Z · [C | σS] (complex Z: stack re over im first and combine the blocks).
    let t: string;
    const v = ctx.tmp('dftv');
    if (n.inputs.length === 1) {
      ctx.node('MatMul', [n.inputs[0]!, bw], [v]);
      t = v;
    } else {
      const u = ctx.tmp('dftu');
      ctx.node('Concat', [n.inputs[0]!, n.inputs[1]!], [u], { axis: { i: r - 2 } });
      ctx.node('MatMul', [u, bw], [v]);
      const [tr, ti] = [ctx.tmp('tr'), ctx.tmp('ti')];
      ctx.node('Sub', [block(v, h, w, 0, 0), block(v, h, w, 1, 1)], [tr]);
      ctx.node('Add', [block(v, h, w, 1, 0), block(v, h, w, 0, 1)], [ti]);
      t = ctx.tmp('dftt');
      ctx.node('Concat', [tr, ti], [t], { axis: { i: r - 1 } });
    }
    // Y = [C; σS] · [Tr | Ti]: re = C·Tr − σS·Ti, im = C·Ti + σS·Tr.
    const q = ctx.tmp('dftq');
    ctx.node('MatMul', [bh, t], [q]);
    ctx.node('Sub', [block(q, h, w, 0, 0), block(q, h, w, 1, 1)], [n.outputs[0]!]);
    ctx.node('Add', [block(q, h, w, 0, 1), block(q, h, w, 1, 0)], [n.outputs[1]!]);
  },
};

export interface Complex {
  readonly re: Tensor;
  readonly im: Tensor;
}

/** torch.fft.fft2 of a real signal over the last two axes. */
export function dft2(x: Tensor): Complex {
  const [re, im] = apply(dft2Op, [x], { sign: -1, scale: 1 }) as [Tensor, Tensor];
  return { re, im };
}

/** torch.fft.fft2 of a complex signal (re, im). */
export function dft2Complex(z: Complex): Complex {
  const [re, im] = apply(dft2Op, [z.re, z.im], { sign: -1, scale: 1 }) as [Tensor, Tensor];
  return { re, im };
}

/** torch.fft.ifft2 (normalised by 1/(H·W)) of a complex spectrum (re, im). */
export function idft2(z: Complex): Complex {
  const h = concrete(z.re.shape[z.re.rank - 2], 'height');
  const w = concrete(z.re.shape[z.re.rank - 1], 'width');
  const [re, im] = apply(dft2Op, [z.re, z.im], { sign: 1, scale: 1 / (h * w) }) as [Tensor, Tensor];
  return { re, im };
}
