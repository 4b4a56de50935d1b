import type { HostTensor } from '../core/host.js';
import { numel } from '../core/host.js';
import type { Rng } from '../core/random.js';

/** How a parameter is initialised when no checkpoint provides it. */
export type Init =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'normal'; readonly std: number }
  /** Normal truncated to ±2 std (timm's trunc_normal_ with a = -2std, b = 2std), optionally rescaled. */
  | { readonly kind: 'truncNormal'; readonly std: number; readonly scale?: number };

export const zeros: Init = { kind: 'zeros' };
export const ones: Init = { kind: 'ones' };
export const truncNormal = (std: number, scale = 1): Init => ({ kind: 'truncNormal', std, scale });
export const constInit = (value: number): Init => ({ kind: 'const', value });

export function initialise(shape: readonly number[], init: Init, rng: Rng): HostTensor<'float32'> {
  const data = new Float32Array(numel(shape));
  switch (init.kind) {
    case 'zeros': break;
    case 'ones': data.fill(1); break;
    case 'const': data.fill(init.value); break;
    case 'normal': for (let i = 0; i < data.length; i++) data[i] = rng.normal() * init.std; break;
    case 'truncNormal': {
      const s = init.scale ?? 1;
      for (let i = 0; i < data.length; i++) {
        let v: number;
        do v = rng.normal(); while (v < -2 || v > 2);
        data[i] = v * init.std * s;
      }
      break;
    }
  }
  return { dtype: 'float32', shape: [...shape], data };
}
