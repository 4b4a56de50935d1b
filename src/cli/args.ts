import { parseArgs } from 'node:util';
import type { ModelName } from '../models/usfm/config.js';
import { isModelName } from '../models/usfm/config.js';
import { parseAugment } from '../data/loader/augment_spec.js';
import type { Tta } from '../train/evaluate.js';
import { UsageError } from './errors.js';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }>;

/** parseArgs with errors as UsageError; positionals allowed. */
export function parse<T extends OptionSpec>(argv: readonly string[], options: T): { values: Record<string, unknown>; positionals: string[] } {
  try {
    const r = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, unknown>, positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function str(v: unknown, name: string, fallback?: string): string {
  if (typeof v === 'string') return v;
  if (fallback !== undefined) return fallback;
  throw new UsageError(`--${name} is required`);
}

export function int(v: unknown, name: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${String(v)}'`);
  return n;
}

/** --img-size S or HxW. */
export function imgSize(v: unknown): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(?:x(\d+))?$/.exec(String(v));
  if (!m) throw new UsageError(`--img-size must be S or HxW, got '${String(v)}'`);
  const h = Number(m[1]);
  const w = Number(m[2] ?? m[1]);
  if (h === 0 || w === 0) throw new UsageError(`--img-size ${h}x${w} must be positive`);
  return [h, w]; // the model checks it against its patch size
}

export function modelName(v: unknown, fallback?: ModelName): ModelName | undefined {
  if (v === undefined) return fallback;
  const s = String(v);
  if (!isModelName(s)) throw new UsageError(`--model must be vit-b, vit-s or vit-t, got '${s}'`);
  return s;
}

/** A number flag in [min, max]. */
export function num(v: unknown, name: string, fallback: number, min = 0, max = Infinity): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number in [${min}, ${max}], got '${String(v)}'`);
  return n;
}

/** An `--augment` value, checked (see data/loader/augment_spec.ts) and returned as given. */
export function augmentArg(v: unknown): string {
  try {
    parseAugment(String(v));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return String(v);
}

/** --tta: test-time augmentation of eval and predict (default none). */
export function ttaArg(v: unknown): Tta {
  const t = str(v, 'tta', 'none');
  if (t !== 'none' && t !== 'hflip') throw new UsageError(`--tta must be none or hflip, got '${t}'`);
  return t;
}
