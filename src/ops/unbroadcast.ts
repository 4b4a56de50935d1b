import type { Shape } from '../core/shape.js';
import { shapeEq } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { reduceSum } from './reduce_sum.js';
import { reshape } from './reshape.js';

/** Sum a broadcast gradient back to `shape` (the inverse of numpy broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (shapeEq(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new Error(`sumTo: cannot reduce rank ${g.rank} to ${shape.length}`);
  const axes: number[] = [];
  for (let i = 0; i < lead; i++) axes.push(i);
  shape.forEach((d, i) => { if (d === 1 && g.shape[lead + i] !== 1) axes.push(lead + i); });
  const r = axes.length ? reduceSum(g, axes, true) : g;
  return shapeEq(r.shape, shape) ? r : reshape(r, shape);
}
