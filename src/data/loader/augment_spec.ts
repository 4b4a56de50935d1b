// `--augment` flag values ↔ AugmentOptions: `none`, or a comma list of hflip[=p], vflip[=p],
// rot90[=p], crop[=minScale] (random resized crop, area in [minScale, 1]), jitter[=strength]
// (brightness and contrast factors in [1 − s, 1 + s]). Unlisted augmentations are off.
import type { AugmentOptions } from './augment.js';

/** Official segmentation pipeline: rot90, horizontal and vertical flips at 0.5. */
export const SEG_AUGMENT = 'hflip,vflip,rot90';
/**
 * Classification: the official pipeline has no augmentation at all; from few labels that overfits, so
 * the default is a horizontal flip only (vertical flips and rotations would put the probe at the bottom).
 */
export const CLS_AUGMENT = 'hflip';

const PROB_DEFAULT = 0.5;

function value(name: string, raw: string | undefined, fallback: number, lo: number, hi: number, what: string): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < lo || v > hi) throw new Error(`--augment ${name}=${raw}: ${what} must be in [${lo}, ${hi}]`);
  return v;
}

/** Parse an `--augment` value; throws one line naming the bad entry. */
export function parseAugment(spec: string): AugmentOptions {
  const s = spec.trim();
  if (s === 'none' || s === '') return { hflip: 0, vflip: 0, rot90: 0 };
  const out: { hflip: number; vflip: number; rot90: number; crop?: { scale: [number, number] }; jitter?: { brightness: number; contrast: number } } = { hflip: 0, vflip: 0, rot90: 0 };
  const seen = new Set<string>();
  for (const part of s.split(',')) {
    const [name = '', raw, extra] = part.trim().split('=');
    if (extra !== undefined) throw new Error(`--augment: bad entry '${part}'`);
    if (seen.has(name)) throw new Error(`--augment: '${name}' given twice`);
    seen.add(name);
    switch (name) {
      case 'hflip': case 'vflip': case 'rot90':
        out[name] = value(name, raw, PROB_DEFAULT, 0, 1, 'the probability');
        break;
      case 'crop':
        out.crop = { scale: [value(name, raw, 0.5, 0.01, 1, 'the smallest crop area fraction'), 1] };
        break;
      case 'jitter': {
        const j = value(name, raw, 0.1, 0, 0.9, 'the strength');
        out.jitter = { brightness: j, contrast: j };
        break;
      }
      default:
        throw new Error(`--augment: unknown augmentation '${name}' (none, or a list of hflip, vflip, rot90, crop, jitter)`);
    }
  }
  return out;
}
