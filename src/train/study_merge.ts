/**
 * Merging label-efficiency studies: the same recipe run with other seeds (or ratios, or arms) in another
 * folder, on another machine, or after a study's run folders were lost, combined into one results.json.
 *
 * Only studies that trained every run the same way merge: task, model, head, decoder width, image size,
 * batch, budget, learning rates, layer decay, augmentation and class weighting must be equal, and each
 * ratio's plan (images, epochs, steps) too — which also catches a different training split. Data and weights
 * paths may differ (another machine); a weights file present at both paths must have the same bytes.
 * A run (arm × ratio × seed) may come from one study only. The merged study is complete when it holds
 * every run of the union of seeds × ratios × arms.
 */
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { identicalFiles } from '../checkpoint/identical.js';
import type { Arm, Budget, RatioPlan, RunResult, StudyOptions, StudyResults } from './label_efficiency.js';
import { aggregate, ARMS, readJson, writeStudyResults } from './label_efficiency.js';
import { checkOutFolder } from './run_state.js';

/** One study to merge: where its results.json is, and what it holds. */
export interface StudyInput {
  readonly path: string;
  readonly results: StudyResults;
}

/** Options that define how each run trained: they must agree between merged studies. */
const RECIPE: readonly (keyof StudyOptions)[] = ['task', 'model', 'head', 'segChannels', 'imgSize', 'batchSize', 'budget', 'lrPretrained', 'lrScratch',
  'layerDecayPretrained', 'augment', 'classWeights'];

const FLAG: Readonly<Partial<Record<keyof StudyOptions, string>>> = {
  task: '--task', model: '--model', head: '--head', segChannels: '--seg-channels', imgSize: '--img-size', batchSize: '--batch-size', lrPretrained: '--lr-pretrained',
  lrScratch: '--lr-scratch', layerDecayPretrained: '--layer-decay-pretrained', augment: '--augment', classWeights: '--class-weights',
};

const show = (v: unknown): string => (v === undefined ? '(default)' : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** An option as the flag that sets it: `--epochs 30`, `--lr-pretrained 0.0032`. */
const flag = (k: keyof StudyOptions, v: unknown): string => (k === 'budget' ? `--${(v as Budget).unit} ${(v as Budget).value}` : `${FLAG[k] ?? k} ${show(v)}`);

/** A study folder (its results.json) or a results.json file; a damaged or foreign file is a one-line error naming it. */
export async function readStudyResults(path: string): Promise<StudyInput> {
  const file = existsSync(path) && (await stat(path)).isDirectory() ? join(path, 'results.json') : path;
  const r = await readJson(file, 'a study\'s results', 'give a label-efficiency study folder or its results.json');
  const o = (r as Partial<StudyResults> | null)?.options;
  const bad = typeof r !== 'object' || r === null ? 'not an object'
    : typeof o !== 'object' || o === null || (o.task !== 'cls' && o.task !== 'seg') || !Array.isArray(o.seeds) || !Array.isArray(o.ratios) || !Array.isArray(o.arms) ? 'no study options'
      : !Array.isArray((r as StudyResults).runs) ? 'no runs'
        : typeof (r as StudyResults).budget !== 'object' || !Array.isArray((r as StudyResults).budget?.ratios) ? 'no budget plan'
          : (r as StudyResults).runs.find((x) => typeof x?.name !== 'string' || typeof x.metrics !== 'object' || x.metrics === null) ? 'a run without name or metrics' : null;
  if (bad !== null) throw new Error(`${file}: not a label-efficiency study's results (${bad})`);
  const results = r as StudyResults;
  // JSON has no NaN: the study wrote undefined metrics as null.
  const runs = results.runs.map((x) => ({ ...x, metrics: Object.fromEntries(Object.entries(x.metrics).map(([k, v]) => [k, v ?? NaN])) }));
  return { path: resolve(file), results: { ...results, runs } };
}

const planKey = (p: RatioPlan): string => JSON.stringify([p.images, p.epochs, p.steps, p.warmupEpochs, p.valEvery]);

/** Order of a run in a study: seed-major, then ratio, pretrained before scratch (planRuns' order). */
const runOrder = (a: RunResult, b: RunResult): number => a.seed - b.seed || a.ratio - b.ratio || ARMS.indexOf(a.arm) - ARMS.indexOf(b.arm);

/**
 * One study from several (see the file comment). Throws a one-line error naming the file that disagrees and how;
 * `log` gets notes on what could not be checked (paths that differ).
 */
export function mergeStudies(inputs: readonly StudyInput[], log: (line: string) => void = () => undefined): StudyResults {
  if (inputs.length < 2) throw new Error('--merge needs at least two studies');
  const [first, ...rest] = inputs as [StudyInput, ...StudyInput[]];
  const o0 = first.results.options;
  const plans = new Map<number, RatioPlan>(first.results.budget.ratios.map((p) => [p.ratio, p]));
  const owner = new Map<string, string>(first.results.runs.map((x) => [x.name, first.path]));
  for (const { path, results: r } of rest) {
    const o = r.options;
    for (const k of RECIPE) {
      if (JSON.stringify(o[k]) !== JSON.stringify(o0[k])) {
        throw new Error(`${path}: trained with ${flag(k, o[k])}, but ${first.path} with ${flag(k, o0[k])}; only studies of the same recipe merge`);
      }
    }
    if (r.budget.steps !== first.results.budget.steps || r.budget.warmupSteps !== first.results.budget.warmupSteps) {
      throw new Error(`${path}: ${r.budget.steps} steps per run, but ${first.path} ${first.results.budget.steps} (another training split?); only studies of the same recipe merge`);
    }
    for (const p of r.budget.ratios) {
      const q = plans.get(p.ratio);
      if (q && planKey(q) !== planKey(p)) {
        throw new Error(`${path}: at ratio ${p.ratio} ${p.images} images × ${p.epochs} epochs, but ${first.path} ${q.images} × ${q.epochs} (another training split?)`);
      }
      if (!q) plans.set(p.ratio, p);
    }
    if (o.data !== o0.data) log(`note: data paths differ (${o0.data} in ${first.path}, ${o.data} in ${path}); the training splits agree in size`);
    if (o.weights !== o0.weights && o.weights !== null && o0.weights !== null) {
      if (existsSync(o.weights) && existsSync(o0.weights)) {
        if (!identicalFiles(o.weights, o0.weights)) throw new Error(`${path}: pretrained from ${o.weights}, which is not the same file as ${o0.weights} (${first.path})`);
      } else {
        log(`note: weights paths differ and cannot be compared here (${o0.weights} in ${first.path}, ${o.weights} in ${path})`);
      }
    }
    for (const x of r.runs) {
      const had = owner.get(x.name);
      if (had !== undefined) throw new Error(`${path}: run ${x.name} is also in ${had}; a run may come from one study only`);
      owner.set(x.name, path);
    }
  }
  const union = <T>(pick: (o: StudyOptions) => readonly T[]): T[] => [...new Set(inputs.flatMap((i) => pick(i.results.options)))];
  const seeds = union((o) => o.seeds).sort((a, b) => a - b);
  const ratios = union((o) => o.ratios).sort((a, b) => a - b);
  const arms: Arm[] = ARMS.filter((a) => union((o) => o.arms).includes(a));
  const runs = inputs.flatMap((i) => i.results.runs).sort(runOrder);
  const have = new Set(runs.map((x) => `${x.arm}|${x.ratio}|${x.seed}`));
  const complete = seeds.every((s) => ratios.every((ratio) => arms.every((a) => have.has(`${a}|${ratio}|${s}`))));
  const options: StudyOptions = { ...o0, seeds, ratios, arms };
  return {
    options, metric: first.results.metric, complete, runs, summary: aggregate(runs), seconds: runs.reduce((s, x) => s + x.seconds, 0),
    budget: { ...first.results.budget, ratios: ratios.map((r) => plans.get(r)).filter((p): p is RatioPlan => p !== undefined) },
    mergedFrom: inputs.map((i) => i.path),
  };
}

/**
 * Read the studies at `paths` (folders or results.json files), merge them and write OUT/results.json. OUT may be
 * new or hold an earlier merge, never a study of its own (its next run would overwrite the merged results).
 */
export async function mergeStudyFolders(paths: readonly string[], out: string, log: (line: string) => void): Promise<StudyResults> {
  await checkOutFolder(out);
  const own = ['options.json', 'runs'].find((f) => existsSync(join(out, f)));
  if (own !== undefined) throw new Error(`${out}: holds a study (${own}); write the merged results to another --out`);
  const inputs: StudyInput[] = [];
  for (const p of paths) inputs.push(await readStudyResults(p));
  const merged = mergeStudies(inputs, log);
  await mkdir(out, { recursive: true });
  await writeStudyResults(out, merged);
  return merged;
}
