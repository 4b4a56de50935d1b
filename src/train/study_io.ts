/**
 * A label-efficiency study's files: OUT/options.json (recorded, then checked on every re-run),
 * OUT/runs/NAME/test.json (a finished run) and OUT/results.json. JSON has no NaN: undefined metrics are
 * written as null and read back as NaN. A damaged file is a one-line error naming it and what to do.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../checkpoint/atomic.js';
import { fileSha256 } from '../checkpoint/identical.js';
import { readSafetensorsMetadataSync } from '../checkpoint/safetensors.js';
import { findRunCheckpoint } from './task_checkpoint.js';
import type { Budget, RunResult, StudyOptions, StudyResults, ValidationRecord } from './label_efficiency.js';

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

/** Names of the run folders in OUT/runs holding `file` (test.json: finished; state.json: saved progress of an unfinished run). */
async function runsWith(out: string, file: string): Promise<string[]> {
  const runs = join(out, 'runs');
  if (!existsSync(runs)) return [];
  return (await readdir(runs)).filter((n) => existsSync(join(runs, n, file)));
}

/** The pretrained arm's weights as a study records them: the path and (studies since the hash was added) its SHA-256. */
export type WeightsRecord = Pick<StudyOptions, 'weights' | 'weightsSha256'>;

/** The weights' identity: the recorded hash, or for older studies the hash of the file now at the recorded path (undefined if gone). */
async function weightsId(o: WeightsRecord): Promise<string | undefined> {
  if (o.weights === null) return undefined;
  if (o.weightsSha256 !== undefined) return o.weightsSha256;
  return statSync(o.weights, { throwIfNoEntry: false })?.isFile() ? fileSha256(o.weights) : undefined;
}

/**
 * Whether two studies' pretrained arms start from the same weights, by content (a copy or a moved installation is
 * the same; a file replaced at the same path is not): true or false, or undefined when it cannot be told here.
 */
export async function sameWeights(a: WeightsRecord, b: WeightsRecord): Promise<boolean | undefined> {
  if (a.weights === null || b.weights === null) return a.weights === b.weights;
  const [ia, ib] = [await weightsId(a), await weightsId(b)];
  return ia !== undefined && ib !== undefined ? ia === ib : undefined;
}

/** The weights as flags, with the start of their hash when it is known: `--weights W (sha256 1a2b3c4d…)`. */
export const showWeights = (w: WeightsRecord): string =>
  `${showOption('weights', w.weights)}${w.weightsSha256 === undefined ? '' : ` (sha256 ${w.weightsSha256.slice(0, 12)}…)`}`;

/** What is wrong with a recorded weights path and hash (a hand-edited or foreign file), or null. */
export function badWeightsRecord(o: Readonly<Record<string, unknown>>): string | null {
  if (o.weights !== null && typeof o.weights !== 'string') return 'weights is neither a path nor null';
  if (o.weightsSha256 !== undefined && (typeof o.weightsSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.weightsSha256))) return 'weightsSha256 is not a SHA-256';
  return null;
}

/** Whether options run the pretrained arm (only then do the weights matter). */
export const runsPretrained = (o: { readonly arms?: unknown }): boolean => Array.isArray(o.arms) && o.arms.includes('pretrained');

/** How the recorded options differ from the given ones (the first difference), or null. */
async function difference(saved: Record<string, unknown>, now: StudyOptions): Promise<string | null> {
  if (runsPretrained(saved) || runsPretrained(now)) {
    const same = await sameWeights(saved as WeightsRecord, now);
    if (same === false || (same === undefined && saved.weights !== now.weights)) return `${showWeights(saved as WeightsRecord)}, not ${showWeights(now)}`;
  }
  const fresh = JSON.parse(JSON.stringify(now)) as Record<string, unknown>;
  for (const k of new Set([...Object.keys(saved), ...Object.keys(fresh)])) {
    if (k === 'weights' || k === 'weightsSha256' || JSON.stringify(saved[k]) === JSON.stringify(fresh[k])) continue;
    return `${showOption(k, saved[k])}, not ${showOption(k, fresh[k])}`;
  }
  return null;
}

/**
 * Record the options in OUT/options.json, or check them against the recorded ones; returns the options the study's
 * results record. The pretrained weights are compared by content (their SHA-256). A study recorded before the hash
 * was kept is taken to have used the file now at its recorded path, and its results keep recording no hash (the
 * hash of today's file would claim more than is known). While no run has finished and none has saved progress (e.g.
 * the first attempt failed on a wrong --model) new options replace the old, and the leftover run folders are
 * removed; otherwise other options are refused, so that nothing trained is lost.
 */
export async function checkOptions(out: string, o: StudyOptions, log: (line: string) => void): Promise<StudyOptions> {
  const path = join(out, 'options.json');
  const write = async (): Promise<StudyOptions> => {
    await writeFileAtomic(path, [Buffer.from(`${JSON.stringify(o, null, 2)}\n`)]);
    return o;
  };
  if (!existsSync(path)) return write();
  const recorded = await readJson(path, 'the study\'s options', 'restore it, or use another --out');
  if (typeof recorded !== 'object' || recorded === null || Array.isArray(recorded)) throw new Error(`${path}: not a study's options (restore it, or use another --out)`);
  const bad = badWeightsRecord(recorded as Record<string, unknown>);
  if (bad !== null) throw new Error(`${path}: not a study's options (${bad}; restore it, or use another --out)`);
  const was = await difference({ ...LEGACY_DEFAULTS, ...(recorded as Record<string, unknown>) }, o);
  if (was === null) {
    if ((recorded as WeightsRecord).weightsSha256 !== undefined || o.weightsSha256 === undefined) return o;
    log(`${path}: this study recorded no hash of its weights (it predates them); they are taken to be ${o.weights} as it is now`);
    const { weightsSha256: _now, ...older } = o;
    return older;
  }
  const keep = 're-run with the same options, or use another --out';
  if ((await runsWith(out, 'test.json')).length) throw new StudyOptionsError(`${path}: this study was run with ${was} (${keep})`);
  const started = await runsWith(out, 'state.json');
  if (started.length) {
    throw new StudyOptionsError(`${path}: the interrupted run ${join(out, 'runs', started[0]!)} was trained with ${was} (${keep} to continue it; ` +
      `to start over with the new options, delete ${join(out, 'runs')})`);
  }
  log(`${path}: no run had made progress with the old options (${was}); starting over with the new ones`);
  await rm(join(out, 'runs'), { recursive: true, force: true });
  return write();
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
  if (typeof r !== 'object' || r === null || typeof r.name !== 'string' || typeof r.metrics !== 'object' || r.metrics === null ||
    (r.denormals !== undefined && !['flush', 'ieee', 'mixed'].includes(r.denormals))) {
    throw new Error(`${path}: not a run's test result; ${remedy}`);
  }
  const run = withNaN(r as RunResult);
  if (run.val !== undefined) return run;
  // Runs finished before test.json recorded it: their folder may still show it.
  const val = scoredValidation(dirname(path));
  return val ? { ...run, val } : run;
}

/** NaN for null (undefined metrics, written as null). */
const nanFor = (m: Readonly<Record<string, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, (v as number | null) ?? NaN]));

/** A run read back from JSON: null metrics (undefined, written as null) are NaN again. */
export function withNaN(r: RunResult): RunResult {
  return { ...r, metrics: nanFor(r.metrics), ...(r.val ? { val: { epoch: r.val.epoch, metrics: nanFor(r.val.metrics) } } : {}) };
}

/**
 * The validation metrics of the checkpoint a finetune run folder is scored by (`findRunCheckpoint`: best.safetensors,
 * else last.safetensors): the metrics.jsonl line of the epoch its metadata records. Undefined when the folder cannot
 * show it (no checkpoint or log, or the line was lost to a crash between the resume state and the log): never
 * another epoch's scores.
 */
export function scoredValidation(runDir: string): ValidationRecord | undefined {
  const scored = findRunCheckpoint(runDir);
  const rows = runLog(runDir);
  if (scored === undefined || rows === undefined) return undefined;
  try {
    const epoch = Number(readSafetensorsMetadataSync(scored)['usfm.epoch']);
    if (!Number.isInteger(epoch)) return undefined;
    const row = [...rows].reverse().find((r) => r.epoch === epoch && typeof r.val === 'object' && r.val !== null);
    return row ? { epoch, metrics: nanFor(row.val as Record<string, number>) } : undefined;
  } catch {
    return undefined; // a damaged checkpoint: the test metrics stand on their own
  }
}

/** The epoch lines of a run folder's metrics.jsonl; undefined without a log, or with a damaged one (never part of it). */
export function runLog(runDir: string): Readonly<Record<string, unknown>>[] | undefined {
  const log = join(runDir, 'metrics.jsonl');
  if (!existsSync(log)) return undefined;
  try {
    const rows = readFileSync(log, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
    return rows.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r)) ? rows as Record<string, unknown>[] : undefined;
  } catch {
    return undefined;
  }
}

/** OUT/results.json (undefined metrics, NaN, as null). */
export async function writeStudyResults(out: string, results: StudyResults): Promise<void> {
  await writeFileAtomic(join(out, 'results.json'), [Buffer.from(toJson(results))]);
}
