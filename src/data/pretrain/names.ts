/**
 * Unique, readable source names from folder paths. A source is named after its folder,
 * ignoring generic trailing folders (`image`, `train`, `training_set`, … see rules.ts):
 * `…/Seg/hc18/training_set/image` → `hc18`. When two sources would share a name, parent
 * folders are added until the names differ (`a/us`, `b/us`); names that still collide (the
 * folders differ only in generic parts) use their whole meaningful path, then the full path.
 */
import { sep } from 'node:path';
import { isGenericDir } from './rules.js';

function components(absPath: string): string[] {
  return absPath.split(sep).filter((c) => c !== '');
}

/** Path components with the generic trailing ones dropped (all of them if nothing is left). */
function meaningful(parts: readonly string[]): string[] {
  let end = parts.length;
  while (end > 0 && isGenericDir(parts[end - 1]!)) end--;
  return end === 0 ? [...parts] : parts.slice(0, end);
}

function duplicates(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) dup.add(n);
    seen.add(n);
  }
  return dup;
}

/** One name per absolute folder path (the paths must be distinct), in the same order. */
export function sourceNames(absPaths: readonly string[]): string[] {
  const full = absPaths.map(components);
  const keys = full.map(meaningful);
  const depth = keys.map(() => 1);
  const nameOf = (i: number): string => {
    const k = keys[i]!;
    const n = k.slice(Math.max(0, k.length - depth[i]!)).join('/');
    return n === '' ? '/' : n;
  };
  for (;;) {
    const names = absPaths.map((_, i) => nameOf(i));
    const dup = duplicates(names);
    if (dup.size === 0) return names;
    let grew = false;
    for (let i = 0; i < names.length; i++) {
      if (!dup.has(names[i]!)) continue;
      if (depth[i]! < keys[i]!.length) {
        depth[i]!++;
        grew = true;
      } else if (keys[i] !== full[i]) {
        keys[i] = full[i]!;
        grew = true;
      }
    }
    if (!grew) throw new Error(`sourceNames: cannot make unique names for ${[...dup].join(', ')}`);
  }
}
