import type { Attrs } from '../core/op.js';
import type { Dim } from '../core/shape.js';

/** A pair of per-axis values (height, width); a single number applies to both. */
export type Pair = number | readonly [number, number];
/** Padding: one number, [padH, padW] (symmetric, as torch), or [top, left, bottom, right] (ONNX order). */
export type Padding = number | readonly [number, number] | readonly [number, number, number, number];

/** Normalised 2-D convolution geometry, shared by conv2d, convTranspose2d and the pooling ops. */
export interface ConvGeom {
  readonly stride: readonly [number, number];
  /** ONNX order: [top, left, bottom, right]. */
  readonly pads: readonly [number, number, number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

export function pair(v: Pair | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

export function pads4(p: Padding | undefined): [number, number, number, number] {
  if (p === undefined) return [0, 0, 0, 0];
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length === 2) return [p[0], p[1], p[0], p[1]];
  return [p[0], p[1], p[2], p[3]];
}

export interface ConvOptions {
  readonly stride?: Pair;
  readonly padding?: Padding;
  readonly dilation?: Pair;
  readonly groups?: number;
}

export function geom(o: ConvOptions): ConvGeom {
  const g: ConvGeom = { stride: pair(o.stride, 1), pads: pads4(o.padding), dilation: pair(o.dilation, 1), groups: o.groups ?? 1 };
  if ([...g.stride, ...g.dilation].some((v) => !Number.isInteger(v) || v < 1)) throw new Error('stride and dilation must be positive integers');
  if (g.pads.some((v) => !Number.isInteger(v) || v < 0)) throw new Error('padding must be non-negative integers');
  if (!Number.isInteger(g.groups) || g.groups < 1) throw new Error('groups must be a positive integer');
  return g;
}

/** A concrete spatial dim. */
export function concrete(d: Dim | undefined, what: string): number {
  if (typeof d !== 'number') throw new Error(`${what} must be concrete, got ${String(d)}`);
  return d;
}

/** Output size of a convolution/pooling window sweep along one axis (axis 0 = H, 1 = W). */
export function convOut(size: number, k: number, g: ConvGeom, axis: 0 | 1): number {
  const span = g.dilation[axis] * (k - 1) + 1;
  const out = Math.floor((size + g.pads[axis] + g.pads[axis + 2]! - span) / g.stride[axis]) + 1;
  if (out < 1) throw new Error(`window ${span} does not fit input ${size} with padding ${g.pads[axis]}+${g.pads[axis + 2]}`);
  return out;
}

/** Output size of a transposed convolution along one axis. */
export function convTOut(size: number, k: number, g: ConvGeom, outPad: number, axis: 0 | 1): number {
  return (size - 1) * g.stride[axis] - g.pads[axis] - g.pads[axis + 2]! + g.dilation[axis] * (k - 1) + outPad + 1;
}

/** The ONNX attributes of Conv / ConvTranspose for this geometry. */
export function onnxConvAttrs(g: ConvGeom, kernel: readonly [number, number]): Record<string, Attrs[string]> {
  return {
    kernel_shape: { ints: kernel },
    strides: { ints: g.stride },
    pads: { ints: g.pads },
    dilations: { ints: g.dilation },
    group: { i: g.groups },
  };
}
