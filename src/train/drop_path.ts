import type { HostTensor } from '../core/host.js';
import type { Rng } from '../core/random.js';

/** Per-block drop-path rates rising linearly from 0 to `max` (the official linspace). */
export function dropPathRates(depth: number, max: number): number[] {
  return Array.from({ length: depth }, (_, i) => (depth > 1 ? (max * i) / (depth - 1) : 0));
}

/**
 * Keep masks for a batch of `b`: per block `dp{i}a` (attention branch) and `dp{i}m` (MLP branch), each
 * [b, 1, 1] holding 0 (dropped) or 1/(1 − p) (kept, rescaled), drawn from `rng` in a fixed order so a
 * resumed run draws the same masks.
 */
export function dropPathMasks(rates: readonly number[], rng: Rng, b: number): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  rates.forEach((p, i) => {
    for (const k of ['a', 'm']) {
      const m = new Float32Array(b);
      for (let j = 0; j < b; j++) m[j] = rng.next() < p ? 0 : 1 / (1 - p);
      out[`dp${i}${k}`] = { dtype: 'float32', shape: [b, 1, 1], data: m };
    }
  });
  return out;
}
