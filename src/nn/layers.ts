import type { Tensor } from '../core/tensor.js';
import { layerNorm as ln } from '../ops/index.js';
import { linear as linearFn } from '../ops/linear.js';
import type { Init } from './init.js';
import { ones, truncNormal, zeros } from './init.js';
import type { VarBuilder } from './var_builder.js';

/** torch.nn.Linear: y = x W^T + b, weight [out, in]. */
export function linear(vb: VarBuilder, x: Tensor, inF: number, outF: number, opts: { bias?: boolean; init?: Init } = {}): Tensor {
  const w = vb.get('weight', [outF, inF], opts.init ?? truncNormal(0.02));
  return linearFn(x, w, opts.bias === false ? undefined : vb.get('bias', [outF], zeros));
}

/** torch.nn.LayerNorm over the last axis. */
export function layerNorm(vb: VarBuilder, x: Tensor, dim: number, eps = 1e-6): Tensor {
  return ln(x, vb.get('weight', [dim], ones), vb.get('bias', [dim], zeros), eps);
}
