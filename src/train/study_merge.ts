/**
 * Merging label-efficiency studies: the same recipe run with other seeds (or ratios, or arms) in another
 * folder, on another machine, or after a study's run folders were lost, combined into one results.json.
 *
 * Only studies that trained every run the same way merge: task, model, head, decoder width, image size,
 * batch, budget, augmentation and class weighting must be equal; an arm's learning rate and layer decay between
 * the studies that ran that arm (a scratch-only study records the scratch recipe's defaults for the other); and
 * each ratio's plan (images, epochs, steps) — which also catches a different training split. Data and weights
 * paths may differ (another machine); the pretrained weights must be the same by content (their recorded SHA-256,
 * or for older studies the file at the recorded path, when it is still there). A run (arm × ratio × seed) may come
 * from one study only. The merged study is complete when it holds every run of the union of seeds × ratios × arms;
 * it records the studies it came from (for an input that was itself a merge, the studies that one came from).
 * `STUDY:ARM` takes only that arm's runs of a study: the scratch arm does not depend on the pretrained weights, so
 * a study of new weights can run `--arms pretrained` and take its scratch runs from an earlier study of the same recipe.
 */
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Arm, RatioPlan, RunResult, StudyOptions, StudyResults } from './label_efficiency.js';
import { aggregate, ARMS } from './label_efficiency.js';
import { showDenormals, studyDenormals } from './denormals.js';
import { badWeightsRecord, LEGACY_DEFAULTS, runsPretrained, readJson, sameWeights, showOption, showWeights, withNaN, writeStudyResults } from './study_io.js';
import { checkOutFolder } from './run_state.js';

/** One study to merge: where its results.json is, and what it holds. */
export interface StudyInput {
  readonly path: string;
  readonly results: StudyResults;
}

/** Options that define how every run trained: they must agree between merged studies. */
const RECIPE: readonly (keyof StudyOptions)[] = ['task', 'model', 'head', 'segChannels', 'imgSize', 'batchSize', 'budget', 'augment', 'classWeights'];

/** Options of one arm's runs: compared only between studies that both ran that arm (the other arm's defaults differ). */
const ARM_RECIPE: Readonly<Record<Arm, readonly (keyof StudyOptions)[]>> = { pretrained: ['lrPretrained', 'layerDecayPretrained'], scratch: ['lrScratch'] };

/** A study folder (its results.json) or a results.json file; a damaged or foreign file is a one-line error naming it. */
export async function readStudyResults(path: string): Promise<StudyInput> {
  const file = existsSync(path) && (await stat(path)).isDirectory() ? join(path, 'results.json') : path;
  const r = await readJson(file, 'a study\'s results', 'give a label-efficiency study folder or its results.json');
  const o = (r as Partial<StudyResults> | null)?.options;
  const bad = typeof r !== 'object' || r === null ? 'not an object'
    : typeof o !== 'object' || o === null || (o.task !== 'cls' && o.task !== 'seg') || !Array.isArray(o.seeds) || !Array.isArray(o.ratios) || !Array.isArray(o.arms) ? 'no study options'
      : !Array.isArray((r as StudyResults).runs) ? 'no runs'
        : typeof (r as StudyResults).budget !== 'object' || !Array.isArray((r as StudyResults).budget?.ratios) ? 'no budget plan'
          : (r as StudyResults).runs.find((x) => typeof x?.name !== 'string' || typeof x.metrics !== 'object' || x.metrics === null) ? 'a run without name or metrics'
            : badWeightsRecord(o as unknown as Record<string, unknown>);
  if (bad !== null) throw new Error(`${file}: not a label-efficiency study's results (${bad})`);
  const results = r as StudyResults;
  // Studies recorded before an option had its key ran with its legacy value (as a re-run of that study assumes).
  const options = { ...LEGACY_DEFAULTS, ...results.options } as StudyOptions;
  return { path: resolve(file), results: { ...results, options, runs: results.runs.map(withNaN) } };
}

/**
 * Only the runs of `arm` in a study, recorded as if it had run that arm alone (its path marked `:ARM`); without
 * the pretrained arm it records no weights, so they are neither compared nor merged.
 */
export function onlyArm(input: StudyInput, arm: Arm): StudyInput {
  const { path, results: r } = input;
  if (!r.options.arms.includes(arm)) throw new Error(`${path}: ran no ${arm} arm (arms: ${r.options.arms.join(', ')})`);
  const { weightsSha256: _hash, ...rest } = r.options;
  const options: StudyOptions = arm === 'pretrained' ? { ...r.options, arms: [arm] } : { ...rest, arms: [arm], weights: null };
  const runs = r.runs.filter((x) => x.arm === arm);
  const mark = (p: string): string => (p.endsWith(`:${arm}`) ? p : `${p}:${arm}`);
  return {
    path: mark(path),
    results: { ...r, options, runs, summary: aggregate(runs), ...(r.mergedFrom ? { mergedFrom: r.mergedFrom.map(mark) } : {}) },
  };
}

/** `STUDY:ARM` → the study and the arm to take from it (a path that exists as given is never split). */
function armSelector(spec: string): { readonly path: string; readonly arm?: Arm } {
  const m = /^(.+):(pretrained|scratch)$/.exec(spec);
  return m && !existsSync(spec) ? { path: m[1]!, arm: m[2] as Arm } : { path: spec };
}

const planKey = (p: RatioPlan): string => JSON.stringify([p.images, p.epochs, p.steps, p.warmupEpochs, p.valEvery]);

/** Order of a run in a study: seed-major, then ratio, pretrained before scratch (planRuns' order). */
const runOrder = (a: RunResult, b: RunResult): number => a.seed - b.seed || a.ratio - b.ratio || ARMS.indexOf(a.arm) - ARMS.indexOf(b.arm);

/**
 * One study from several (see the file comment). Throws a one-line error naming the file that disagrees and how;
 * `log` gets notes on what could not be checked (paths that differ).
 */
export async function mergeStudies(inputs: readonly StudyInput[], log: (line: string) => void = () => undefined): Promise<StudyResults> {
  if (inputs.length < 2) throw new Error('--merge needs at least two studies');
  const first = inputs[0]!;
  const differ = (k: keyof StudyOptions, a: StudyInput, b: StudyInput): void => {
    const [va, vb] = [a.results.options[k], b.results.options[k]];
    if (JSON.stringify(va) !== JSON.stringify(vb)) {
      throw new Error(`${b.path}: trained with ${showOption(k, vb)}, but ${a.path} with ${showOption(k, va)}; only studies of the same recipe merge`);
    }
  };
  // Each arm's recipe is checked against the first study that ran that arm, which also supplies it to the merged options.
  const armSource = new Map<Arm, StudyInput>();
  // The pretrained weights are checked against every earlier pretrained study (one whose identity is unknown here
  // must not let two others with different hashes through). The merged options record a hash only when every
  // pretrained study could be compared.
  const pretrained: StudyInput[] = [];
  let hash: string | undefined;
  let unknown = false;
  const plans = new Map<number, { readonly plan: RatioPlan; readonly path: string }>();
  const owner = new Map<string, string>();
  for (const input of inputs) {
    const { path, results: r } = input;
    const o = r.options;
    if (input !== first) {
      for (const k of RECIPE) differ(k, first, input);
      if (r.budget.steps !== first.results.budget.steps || r.budget.warmupSteps !== first.results.budget.warmupSteps) {
        throw new Error(`${path}: ${r.budget.steps} steps per run, but ${first.path} ${first.results.budget.steps} (another training split?); only studies of the same recipe merge`);
      }
      if (o.data !== first.results.options.data) log(`note: data paths differ (${first.results.options.data} in ${first.path}, ${o.data} in ${path}); the training splits agree in size`);
      const [was, now] = [studyDenormals(first.results.runs), studyDenormals(r.runs)];
      if (was !== undefined && now !== undefined && was !== now) {
        log(`note: ${first.path} computed with ${showDenormals(was)}, ${path} with ${showDenormals(now)} (not bit-identical arithmetic; each run records its mode)`);
      }
    }
    for (const arm of o.arms) {
      const ref = armSource.get(arm);
      if (!ref) armSource.set(arm, input);
      else for (const k of ARM_RECIPE[arm]) differ(k, ref, input);
    }
    if (runsPretrained(o)) {
      for (const earlier of pretrained) {
        const same = await sameWeights(earlier.results.options, o);
        if (same === false) throw new Error(`${path}: pretrained from ${showWeights(o)}, which is not the same file as ${showWeights(earlier.results.options)} in ${earlier.path}`);
        if (same === undefined) {
          unknown = true;
          const gone = [earlier.results.options.weights, o.weights].filter((w) => w === null || !existsSync(w)).join(', ');
          log(`note: the weights cannot be compared here (no hash recorded, and ${gone} not found; ${earlier.path}, ${path})`);
        }
      }
      pretrained.push(input);
      hash ??= o.weightsSha256;
    }
    for (const p of r.budget.ratios) {
      const q = plans.get(p.ratio);
      if (!q) plans.set(p.ratio, { plan: p, path });
      else if (planKey(q.plan) !== planKey(p)) {
        throw new Error(`${path}: at ratio ${p.ratio} ${p.images} images × ${p.epochs} epochs, but ${q.path} ${q.plan.images} × ${q.plan.epochs} (another training split?)`);
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
  const arms: Arm[] = ARMS.filter((a) => armSource.has(a));
  const runs = inputs.flatMap((i) => i.results.runs).sort(runOrder);
  const have = new Set(runs.map((x) => `${x.arm}|${x.ratio}|${x.seed}`));
  const complete = seeds.every((s) => ratios.every((ratio) => arms.every((a) => have.has(`${a}|${ratio}|${s}`))));
  const pre = armSource.get('pretrained')?.results.options;
  const scr = armSource.get('scratch')?.results.options;
  const { weightsSha256: _first, ...base } = first.results.options;
  const options: StudyOptions = {
    ...base, seeds, ratios, arms, ...(hash === undefined || unknown ? {} : { weightsSha256: hash }),
    ...(pre ? { weights: pre.weights, lrPretrained: pre.lrPretrained, layerDecayPretrained: pre.layerDecayPretrained } : {}),
    ...(scr ? { lrScratch: scr.lrScratch } : {}),
  };
  return {
    options, metric: first.results.metric, complete, runs, summary: aggregate(runs), seconds: runs.reduce((s, x) => s + x.seconds, 0),
    budget: { ...first.results.budget, ratios: ratios.map((r) => plans.get(r)?.plan).filter((p): p is RatioPlan => p !== undefined) },
    mergedFrom: inputs.flatMap((i) => i.results.mergedFrom ?? [i.path]),
  };
}

/**
 * Read the studies at `paths` (folders or results.json files), merge them and write OUT/results.json. OUT may be
 * new or hold an earlier merge, never a study of its own (its next run would overwrite the merged results) nor
 * one of the inputs (the merge would replace it).
 */
export async function mergeStudyFolders(paths: readonly string[], out: string, log: (line: string) => void): Promise<StudyResults> {
  await checkOutFolder(out);
  const own = ['options.json', 'runs'].find((f) => existsSync(join(out, f)));
  if (own !== undefined) throw new Error(`${out}: holds a study (${own}); write the merged results to another --out`);
  const target = resolve(out, 'results.json');
  const inputs: StudyInput[] = [];
  for (const spec of paths) {
    const { path, arm } = armSelector(spec);
    const input = await readStudyResults(path);
    if (input.path === target) throw new Error(`${out}: is one of the studies merged; write the merged results to another --out`);
    inputs.push(arm ? onlyArm(input, arm) : input);
  }
  const merged = await mergeStudies(inputs, log);
  await mkdir(out, { recursive: true });
  await writeStudyResults(out, merged);
  return merged;
}
