/**
 * A label-efficiency study's files: OUT/options.json (recorded, then checked on every re-run),
 * OUT/runs/NAME/test.json (a finished run) and OUT/results.json. JSON has no NaN: undefined metrics are
 * written as null and read back as NaN. A damaged file is a one-line error naming it and what to do.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../checkpoint/atomic.js';
import { identicalFiles } from '../checkpoint/identical.js';
import type { Budget, RunResult, StudyOptions, StudyResults } from './label_efficiency.js';

/** Options of an existing study folder differ from the ones given. */
export class StudyOptionsError extends Error {}

const FLAG: Readonly<Record<string, string>> = {
  task: '--task', data: '--data', weights: '--weights', model: '--model', head: '--head', segChannels: '--seg-channels', imgSize: '--img-size', batchSize: '--batch-size',
  lrPretrained: '--lr-pretrained', lrScratch: '--lr-scratch', layerDecayPretrained: '--layer-decay-pretrained', ratios: '--ratios', seeds: '--seeds', arms: '--arms', augment: '--augment', classWeights: '--class-weights',
};

/** An option as the flags that give it: `--epochs 30`, `--seeds 3 --seed 42`, `--weights none`. */
export function showOption(key: string, v: unknown): string {
  if (key === 'budget') return `--${(v as Budget).unit} ${(v as Budget).value}`;
  // Seeds are --seed, --seed+1, …: shown as the flags that give them.
  if (key === 'seeds' && Array.isArray(v) && v.length) return `--seeds ${v.length} --seed ${String(v[0])}`;
  const value = v === undefined ? '(default)' : v === null ? 'none' : Array.isArray(v) ? v.join(',') : String(v);
  return `${FLAG[key] ?? key} ${value}`;
}

/**
 * Options that studies recorded before they had their own key, with the value those studies used:
 * before --layer-decay-pretrained, the pretrained arm always trained with layer decay 0.65.
 */
export const LEGACY_DEFAULTS: Readonly<Record<string, unknown>> = { layerDecayPretrained: 0.65 };

/** Names of the runs in OUT/runs that have finished (a test.json). */
async function finishedRuns(out: string): Promise<string[]> {
  const runs = join(out, 'runs');
  if (!existsSync(runs)) return [];
  return (await readdir(runs)).filter((n) => existsSync(join(runs, n, 'test.json')));
}

/**
 * Record the options in OUT/options.json, or check them against the recorded ones. While no run has
 * finished (e.g. the first attempt failed on a wrong --model) new options replace the old and the
 * unfinished run folders, which were trained with the old options, are removed.
 */
export async function checkOptions(out: string, o: StudyOptions, log: (line: string) => void): Promise<void> {
  const path = join(out, 'options.json');
  const write = (): Promise<void> => writeFileAtomic(path, [Buffer.from(`${JSON.stringify(o, null, 2)}\n`)]);
  if (!existsSync(path)) return write();
  const recorded = await readJson(path, 'the study\'s options', 'restore it, or use another --out');
  if (typeof recorded !== 'object' || recorded === null || Array.isArray(recorded)) throw new Error(`${path}: not a study's options (restore it, or use another --out)`);
  const saved = { ...LEGACY_DEFAULTS, ...(recorded as Record<string, unknown>) };
  const now = JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
  for (const k of new Set([...Object.keys(saved), ...Object.keys(now)])) {
    if (JSON.stringify(saved[k]) === JSON.stringify(now[k])) continue;
    // The same checkpoint at another path (a moved installation, a copy) is the same study.
    if (k === 'weights' && typeof saved[k] === 'string' && typeof now[k] === 'string' && identicalFiles(saved[k], now[k])) continue;
    const was = `${showOption(k, saved[k])}, not ${showOption(k, now[k])}`;
    if ((await finishedRuns(out)).length) throw new StudyOptionsError(`${path}: this study was run with ${was} (re-run with the same options, or use another --out)`);
    log(`${path}: no run had finished with the old options (${was}); starting over with the new ones`);
    await rm(join(out, 'runs'), { recursive: true, force: true });
    return write();
  }
}

/** JSON with undefined metrics (NaN, ±Inf) as null. */
export const toJson = (v: unknown): string => `${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2)}\n`;

/** A JSON file a study wrote; a damaged one is a one-line error naming it and what to do. */
export async function readJson(path: string, what: string, remedy: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${remedy}`);
  }
}

export async function readResult(path: string): Promise<RunResult> {
  const remedy = 'delete it, and re-running trains that run again';
  const r = await readJson(path, 'a run\'s test result', remedy) as Partial<RunResult> | null;
  if (typeof r !== 'object' || r === null || typeof r.name !== 'string' || typeof r.metrics !== 'object' || r.metrics === null) {
    throw new Error(`${path}: not a run's test result; ${remedy}`);
  }
  return withNaN(r as RunResult);
}

/** A run read back from JSON: null metrics (undefined, written as null) are NaN again. */
export function withNaN(r: RunResult): RunResult {
  return { ...r, metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, (v as number | null) ?? NaN])) };
}

/** OUT/results.json (undefined metrics, NaN, as null). */
export async function writeStudyResults(out: string, results: StudyResults): Promise<void> {
  await writeFileAtomic(join(out, 'results.json'), [Buffer.from(toJson(results))]);
}
