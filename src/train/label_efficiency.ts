/**
 * Label-efficiency study (USFM's central claim: pretraining buys label efficiency). For every
 * seed × label ratio × arm (pretrained backbone, random init) one finetune run on the seeded, nested,
 * class-stratified subset, then the test-split metrics of its best checkpoint.
 *
 * Budget: every run takes the same number of optimizer steps. The budget is `epochs` over the full
 * training set (epochs × batches per epoch at ratio 1) or an explicit step count; a ratio whose subset
 * gives b batches per epoch trains ⌈budget / b⌉ epochs (the fewest reaching the budget, so at most
 * b − 1 steps over it). Warm-up is the same number of steps everywhere (2 full-data epochs, at most
 * budget − 1 full epoch, as `usfm finetune`'s default) and validation for the best checkpoint runs about
 * once per full-data epoch's worth of steps. Both arms at one seed see the same subset.
 *
 * Resumable at run granularity: OUT/runs/NAME/test.json marks a finished run (skipped when the study is
 * re-run); an interrupted run continues from its last finished epoch (finetune's --resume state).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../checkpoint/atomic.js';
import { fileSha256 } from '../checkpoint/identical.js';
import type { ClsItem } from '../data/datasets/cls.js';
import { scanClsDataset } from '../data/datasets/cls.js';
import type { SegItem } from '../data/datasets/seg.js';
import { scanSegDataset } from '../data/datasets/seg.js';
import { readPixelTable } from '../data/datasets/pixel_sizes.js';
import { labelSubset } from '../data/datasets/subset.js';
import type { LoadFn } from '../data/loader/loader.js';
import { BatchLoader } from '../data/loader/loader.js';
import { clsLoad, segLoad } from '../data/loader/samples.js';
import type { MetricSummary } from '../metrics/seg.js';
import { summariseValues } from '../metrics/seg.js';
import type { ModelName } from '../models/usfm/config.js';
import type { SegHead } from './evaluate.js';
import { evalFunction, evaluate, mmSummary, summary } from './evaluate.js';
import type { FinetuneOptions } from './finetune.js';
import { finetune } from './finetune.js';
import { readTaskCheckpoint, runCheckpoint } from './task_checkpoint.js';
import { checkOutFolder, runClock, savedPosition } from './run_state.js';
import { checkOptions, readResult, runsPretrained, scoredValidation, toJson, writeStudyResults } from './study_io.js';
import { StopOnSignal } from './stop.js';
import type { RunDenormals } from './denormals.js';
import { loggedDenormals } from './denormals.js';

export type Arm = 'pretrained' | 'scratch';
export const ARMS: readonly Arm[] = ['pretrained', 'scratch'];

/** Layer-wise lr decay of the scratch arm: none (there is nothing pretrained to protect). */
export const SCRATCH_LAYER_DECAY = 1;

/** Layer-wise lr decay of an arm. */
export const layerDecayOf = (o: Pick<StudyOptions, 'layerDecayPretrained'>, arm: Arm): number =>
  (arm === 'pretrained' ? o.layerDecayPretrained : SCRATCH_LAYER_DECAY);

/** The headline metric per task (higher is better). */
export const PRIMARY_METRIC = { seg: 'dice', cls: 'balancedAccuracy' } as const;

export type Budget = { readonly unit: 'epochs' | 'steps'; readonly value: number };

export interface StudyOptions {
  readonly task: 'cls' | 'seg';
  readonly data: string;
  /** Encoder checkpoint of the pretrained arm (null when only the scratch arm runs). */
  readonly weights: string | null;
  /** SHA-256 of the weights file (the study's identity of its pretrained arm; absent in studies from before it was recorded). */
  readonly weightsSha256?: string;
  readonly model: ModelName;
  readonly head?: SegHead;
  /** UPerNet decoder channels (seg; absent or 0: the backbone width). */
  readonly segChannels?: number;
  readonly imgSize: number;
  readonly batchSize: number;
  readonly budget: Budget;
  /** Base learning rates at batch 512, per arm. */
  readonly lrPretrained: number;
  readonly lrScratch: number;
  /** Layer-wise lr decay of the pretrained arm (the scratch arm has none). */
  readonly layerDecayPretrained: number;
  /** Ascending label ratios in (0, 1]. */
  readonly ratios: readonly number[];
  readonly seeds: readonly number[];
  readonly arms: readonly Arm[];
  readonly augment?: string;
  /** Classification: 'balanced' weights the CE by inverse class frequency of each run's subset (finetune's --class-weights). */
  readonly classWeights?: 'none' | 'balanced';
}

export interface RatioPlan {
  readonly ratio: number;
  /** Labelled training images at this ratio. */
  readonly images: number;
  readonly batchesPerEpoch: number;
  readonly epochs: number;
  /** epochs × batchesPerEpoch: the budget, rounded up to whole epochs. */
  readonly steps: number;
  readonly warmupEpochs: number;
  readonly valEvery: number;
}

export interface BudgetPlan {
  /** Optimizer steps every run gets (at least). */
  readonly steps: number;
  readonly warmupSteps: number;
  readonly ratios: readonly RatioPlan[];
}

/** Optimizer steps per epoch over `images` images, as finetune's loader (the last partial batch is dropped once two full ones fit). */
export function batchesPerEpoch(images: number, batchSize: number): number {
  return images >= 2 * batchSize ? Math.floor(images / batchSize) : Math.ceil(images / batchSize);
}

/** Epochs, warm-up and validation interval per ratio for one step budget (see the file comment). */
export function planBudget(budget: Budget, batchSize: number, ratios: readonly number[], imagesAt: (ratio: number) => number): BudgetPlan {
  const fullBatches = batchesPerEpoch(imagesAt(1), batchSize);
  const steps = budget.unit === 'steps' ? budget.value : budget.value * fullBatches;
  const warmupSteps = Math.max(0, Math.min(2 * fullBatches, steps - fullBatches));
  return {
    steps, warmupSteps,
    ratios: ratios.map((ratio) => {
      const images = imagesAt(ratio);
      const b = batchesPerEpoch(images, batchSize);
      const epochs = Math.ceil(steps / b);
      // finetune's schedule counts its loader's batches per epoch (b) when it converts warm-up epochs to steps.
      return { ratio, images, batchesPerEpoch: b, epochs, steps: epochs * b, warmupEpochs: warmupSteps / b, valEvery: Math.max(1, Math.floor(fullBatches / b)) };
    }),
  };
}

export const runName = (arm: Arm, ratio: number, seed: number): string => `${arm}-r${ratio}-s${seed}`;

export interface RunSpec {
  readonly name: string;
  readonly arm: Arm;
  readonly ratio: number;
  readonly seed: number;
  readonly plan: RatioPlan;
  readonly finetune: FinetuneOptions;
}

/** Every run of the study, seed-major (a whole curve per seed comes first), pretrained before scratch. */
export function planRuns(o: StudyOptions, out: string, budget: BudgetPlan): RunSpec[] {
  const specs: RunSpec[] = [];
  for (const seed of o.seeds) {
    for (const plan of budget.ratios) {
      for (const arm of ARMS.filter((a) => o.arms.includes(a))) {
        const name = runName(arm, plan.ratio, seed);
        specs.push({
          name, arm, ratio: plan.ratio, seed, plan,
          finetune: {
            task: o.task, data: o.data, weights: arm === 'pretrained' ? o.weights : null, model: o.model, out: join(out, 'runs', name),
            imgSize: o.imgSize, epochs: plan.epochs, batchSize: o.batchSize, lr: arm === 'pretrained' ? o.lrPretrained : o.lrScratch,
            labelRatio: plan.ratio, seed, layerDecay: layerDecayOf(o, arm), weightDecay: 0.05, warmupEpochs: plan.warmupEpochs, clipNorm: 5,
            dropPath: 0.1, valEvery: plan.valEvery, segChannels: o.segChannels ?? 0,
            ...(o.task === 'seg' ? { head: o.head ?? 'upernet' } : {}), ...(o.augment === undefined ? {} : { augment: o.augment }),
            ...(o.classWeights === undefined ? {} : { classWeights: o.classWeights }),
          },
        });
      }
    }
  }
  return specs;
}

/** A finished run: its test-split metrics (NaN where undefined) and wall time. */
export interface RunResult {
  readonly name: string;
  readonly arm: Arm;
  readonly ratio: number;
  readonly seed: number;
  readonly images: number;
  readonly epochs: number;
  readonly steps: number;
  /**
   * Wall time of the run (training + test evaluation), including the saved time of earlier invocations it was
   * continued from (work after an interrupted run's last save is redone, and counted once).
   */
  readonly seconds: number;
  readonly metrics: Readonly<Record<string, number>>;
  /**
   * The validation metrics its scored checkpoint was chosen by (the epoch of best.safetensors, from metrics.jsonl);
   * absent where the run folder no longer shows them (studies from before it was recorded, a pruned folder).
   */
  readonly val?: ValidationRecord;
  /** How its epochs computed denormal floats (from metrics.jsonl); absent in studies from before it was recorded (IEEE). */
  readonly denormals?: RunDenormals;
}

/** One epoch's validation metrics (NaN where undefined). */
export interface ValidationRecord {
  readonly epoch: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Mean ± sample std over seeds of each metric, for one arm at one ratio. */
export interface ArmRatioSummary {
  readonly arm: Arm;
  readonly ratio: number;
  readonly images: number;
  readonly runs: number;
  readonly metrics: Readonly<Record<string, MetricSummary>>;
}

export interface StudyResults {
  readonly options: StudyOptions;
  readonly metric: string;
  readonly budget: BudgetPlan;
  /** False when the study stopped before its last run (re-run the same command to continue). */
  readonly complete: boolean;
  readonly runs: readonly RunResult[];
  readonly summary: readonly ArmRatioSummary[];
  /** Sum of the runs' wall times. */
  readonly seconds: number;
  /** Set when these results merge other studies (`usfm label-efficiency --merge`): their results.json files. */
  readonly mergedFrom?: readonly string[];
}

/** Per (ratio, arm) mean ± sample std over the runs' metrics (ratio-major, pretrained first); metrics in first-seen order. */
export function aggregate(runs: readonly RunResult[]): ArmRatioSummary[] {
  const out: ArmRatioSummary[] = [];
  const ratios = [...new Set(runs.map((r) => r.ratio))].sort((a, b) => a - b);
  for (const ratio of ratios) {
    for (const arm of ARMS) {
      const group = runs.filter((r) => r.arm === arm && r.ratio === ratio);
      if (!group.length) continue;
      const names = [...new Set(group.flatMap((r) => Object.keys(r.metrics)))];
      const metrics = Object.fromEntries(names.map((k) => [k, summariseValues(group.map((r) => r.metrics[k] ?? NaN))]));
      out.push({ arm, ratio, images: group[0]!.images, runs: group.length, metrics });
    }
  }
  return out;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Trains one run and returns its test metrics, or null when training stopped early (Ctrl-C: `stop.requested`). */
export type Runner = (spec: RunSpec, log: (line: string) => void, stop: StopOnSignal) => Promise<Readonly<Record<string, number>> | null>;

/** Test-split metrics of a run folder's best checkpoint: seg Dice, IoU, HD95 (px; + mm and HC error with HC18's table), cls balanced accuracy etc. */
export async function testMetrics(runDir: string, data: string, batchSize: number, log: (line: string) => void = () => undefined): Promise<Record<string, number>> {
  const ck = await readTaskCheckpoint(runCheckpoint(runDir));
  const isCls = ck.task.task === 'cls';
  const ds = isCls ? await scanClsDataset(data, 'test') : await scanSegDataset(data, 'test');
  for (const w of ds.warnings) log(`warning: ${w}`);
  const load = (isCls ? clsLoad({ size: ck.task.imgSize, augment: false }) : segLoad({ size: ck.task.imgSize, augment: false })) as LoadFn<ClsItem | SegItem>;
  const loader = new BatchLoader(ds.items as readonly (ClsItem | SegItem)[], load, { batchSize });
  const fn = evalFunction(ck.task, ck.cfg);
  try {
    const e = await evaluate(fn, ck.tensors, loader, ck.task, isCls ? null : await readPixelTable(data));
    const s = summary(e);
    if (e.task === 'cls') return s;
    const out: Record<string, number> = { dice: s.dice!, iou: s.iou!, hd95: s.hd95! };
    const hd = mmSummary(e.perImage, 'hd95Mm');
    if (hd) out.hd95Mm = hd.mean;
    if (s.hcErrorMm !== undefined) out.hcErrorMm = s.hcErrorMm;
    return out;
  } finally {
    await fn.release();
  }
}

/** The real runner: finetune (continuing an interrupted run from its saved state), then test metrics. */
export const finetuneAndTest: Runner = async (spec, log, stop) => {
  const dir = spec.finetune.out;
  // finetune's run state (train/run_state.ts) exists once an epoch has finished or Ctrl-C saved mid-epoch; other leftovers start over.
  const resumable = existsSync(join(dir, 'state.json'));
  if (!resumable) await rm(dir, { recursive: true, force: true });
  else log(`${spec.name}: continuing the interrupted run in ${dir}`);
  await finetune({ ...spec.finetune, resume: resumable }, log, stop);
  // Finished by the saved state (written before the epoch's metrics line, which a kill between the two loses).
  if (((await savedPosition(dir))?.epoch ?? 0) < spec.finetune.epochs) return null;
  return testMetrics(dir, spec.finetune.data, spec.finetune.batchSize, log);
};

/**
 * Once test.json is written a run is never continued: drop its resume state (parameters + AdamW moments,
 * 3× the model) and last.safetensors when best.safetensors (the evaluated model) exists. A ViT-B run
 * keeps one 344 MB checkpoint instead of five.
 */
async function prune(dir: string): Promise<void> {
  await rm(join(dir, 'resume'), { recursive: true, force: true });
  await rm(join(dir, 'state.json'), { force: true });
  if (existsSync(join(dir, 'best.safetensors'))) await rm(join(dir, 'last.safetensors'), { force: true });
}

/** Every run of the plan that has a test.json, in plan order. */
async function finishedResults(specs: readonly RunSpec[]): Promise<RunResult[]> {
  const done: RunResult[] = [];
  for (const spec of specs) {
    const file = join(spec.finetune.out, 'test.json');
    if (existsSync(file)) done.push(await readResult(file));
  }
  return done;
}

/** Number of labelled training images at a ratio (the subset size does not depend on the seed). */
async function subsetSizes(o: StudyOptions): Promise<(ratio: number) => number> {
  if (o.task === 'cls') {
    const ds = await scanClsDataset(o.data, 'train');
    return (r) => labelSubset(ds.items, r, o.seeds[0]!, (it) => it.label).length;
  }
  const ds = await scanSegDataset(o.data, 'train');
  return (r) => labelSubset(ds.items, r, o.seeds[0]!).length;
}

/**
 * Run (or continue) a study in `out`: OUT/options.json, OUT/runs/NAME/{finetune outputs, test.json},
 * OUT/results.json. Finished runs are skipped; `runner` is injectable for tests.
 */
export async function labelEfficiency(options: StudyOptions, out: string, log: (line: string) => void, runner: Runner = finetuneAndTest): Promise<StudyResults> {
  const weights = options.weights === null ? null : resolve(options.weights);
  const pretrained = runsPretrained(options);
  if (pretrained && weights === null) throw new Error('the pretrained arm needs encoder weights');
  if (weights !== null && !statSync(weights, { throwIfNoEntry: false })?.isFile()) throw new Error(`${weights}: no such file`);
  const { weightsSha256: _given, ...rest } = options;
  // The weights' identity matters only to the pretrained arm (a scratch-only study never reads them).
  const hash = weights !== null && pretrained ? { weightsSha256: await fileSha256(weights) } : {};
  const given: StudyOptions = { ...rest, data: resolve(options.data), weights, ...hash };
  await checkOutFolder(out);
  // Merged results (label-efficiency --merge) have no options.json: a study there would overwrite them.
  if (existsSync(join(out, 'results.json')) && !existsSync(join(out, 'options.json'))) {
    throw new Error(`${out}: holds a results.json but no study (merged results?); choose another --out`);
  }
  const sizes = await subsetSizes(given); // reads the training split first: a wrong --data leaves nothing behind
  await mkdir(out, { recursive: true });
  const o = await checkOptions(out, given, log);
  const budget = planBudget(o.budget, o.batchSize, o.ratios, sizes);
  const specs = planRuns(o, out, budget);
  log(`label efficiency: ${specs.length} runs (${o.arms.join(', ')} × ratios ${o.ratios.join(', ')} × ${plural(o.seeds.length, 'seed')}), ` +
    `${budget.steps} optimizer steps each (${budget.ratios.map((p) => `${p.ratio}: ${p.images} images, ${plural(p.epochs, 'epoch')}`).join('; ')})`);
  const runs: RunResult[] = [];
  // One handler for the whole study: a signal between runs, or while a run is scored, stops it too.
  const stop = new StopOnSignal('stopping after this step (a run in progress is saved; run the same command again to continue)', log);
  const results = (done: readonly RunResult[]): StudyResults => ({
    options: o, metric: PRIMARY_METRIC[o.task], budget, complete: done.length === specs.length, runs: done, summary: aggregate(done),
    seconds: done.reduce((s, r) => s + r.seconds, 0),
  });
  try {
    for (const [i, spec] of specs.entries()) {
      const done = join(spec.finetune.out, 'test.json');
      if (existsSync(done)) {
        const r = await readResult(done);
        runs.push(r);
        log(`[${i + 1}/${specs.length}] ${spec.name}: done, skipped (${PRIMARY_METRIC[o.task]} ${r.metrics[PRIMARY_METRIC[o.task]]?.toFixed(4)}; ${done})`);
        continue;
      }
      if (stop.requested) {
        log(`stopped before ${spec.name}; run the same command again to continue`);
        break;
      }
      const { plan, finetune: f } = spec;
      log(`[${i + 1}/${specs.length}] ${spec.name}: ${plan.images} images, ${plural(plan.epochs, 'epoch')}, ${plural(plan.steps, 'step')}, lr ${f.lr}, layer decay ${f.layerDecay}`);
      const clock = runClock((await savedPosition(f.out))?.seconds ?? 0);
      const metrics = await runner(spec, log, stop);
      if (metrics === null) {
        log(`stopped during ${spec.name}; run the same command again to continue`);
        break;
      }
      const val = scoredValidation(spec.finetune.out);
      const denormals = loggedDenormals(spec.finetune.out);
      const r: RunResult = {
        name: spec.name, arm: spec.arm, ratio: spec.ratio, seed: spec.seed, images: spec.plan.images, epochs: spec.plan.epochs, steps: spec.plan.steps,
        seconds: clock(), metrics, ...(val ? { val } : {}), ...(denormals ? { denormals } : {}),
      };
      await mkdir(spec.finetune.out, { recursive: true });
      await writeFileAtomic(done, [Buffer.from(toJson(r))]);
      await prune(spec.finetune.out);
      runs.push(r);
      log(`${spec.name}: test ${Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')} (${Math.round(r.seconds)} s)`);
      if (stop.requested && i + 1 < specs.length) {
        log(`stopped after ${spec.name}; run the same command again to continue`);
        break;
      }
    }
  } catch (e) {
    // A run that failed (NaN loss, a damaged image, a full disk) leaves results.json listing every finished run, those
    // the plan puts after it included (an earlier invocation may have finished them).
    const finished = await finishedResults(specs).catch(() => runs);
    if (finished.length) await writeStudyResults(out, results(finished)).catch(() => undefined);
    throw e;
  } finally {
    stop.dispose();
  }
  const r = results(runs);
  // The loop leaves early only when stopped: every run it did not reach is owed to the signal.
  if (!r.complete) stop.stoppedEarly();
  await writeStudyResults(out, r);
  return r;
}
