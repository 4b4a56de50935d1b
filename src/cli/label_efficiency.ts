import { writeStudyReport } from '../report/write.js';
import { meanStd, metricDigits, metricLabel, missingRunsHint, percent } from '../report/format.js';
import { claimCheck } from '../report/claim.js';
import { pairedGains, pairedLine } from '../report/paired.js';
import type { Arm, Budget, StudyOptions } from '../train/label_efficiency.js';
import type { StudyResults } from '../train/label_efficiency.js';
import { ARMS, labelEfficiency } from '../train/label_efficiency.js';
import { StudyOptionsError } from '../train/study_io.js';
import { mergeStudyFolders } from '../train/study_merge.js';
import { augmentArg, imgSize as parseSize, int, modelName, num, parse, str } from './args.js';
import { UsageError } from './errors.js';
import { progressLog } from './progress.js';
import { RECIPES, bundledOr, recipeDefaults } from './weights.js';
import type { Io } from './io.js';

const { none: scratch, ours: bundled, official } = RECIPES;

export const labelEfficiencyHelp = `usfm label-efficiency --task seg|cls --data ROOT --weights CKPT|bundled --out DIR
    [--ratios 0.1,0.2,0.5,1] [--seeds 3] [--seed 42] [--arms pretrained,scratch] [--epochs E | --steps N]
    [--img-size 224] [--batch-size 8] [--model vit-t|vit-s|vit-b] [--head upernet|atm] [--seg-channels C]
    [--lr-pretrained L] [--layer-decay-pretrained D] [--lr-scratch L] [--augment LIST] [--class-weights none|balanced]
  Does pretraining buy label efficiency? For each seed × label ratio × arm (pretrained = the --weights backbone;
  scratch = random init) fine-tunes on the seeded, nested subset (class-stratified for cls),
  then scores the run's best checkpoint on the test split (seg: Dice, IoU, HD95, + HD95 mm and head-circumference
  error with HC18's table; cls: balanced accuracy, accuracy, macro-F1, AUC).
  Same budget: every run takes the same number of optimizer steps, --epochs over the full training set (or --steps;
  default finetune's epochs for the bundled backbone: ${bundled.seg.epochs} for seg, ${bundled.cls.epochs} for cls, whatever the weights or arms);
  a ratio with b batches per epoch trains ceil(budget / b) epochs. Seeds are --seed, --seed+1, … (--seeds of them).
  Each arm gets finetune's recipe for its backbone (--lr-* are base rates at batch 512, scaled by batch/512):
  scratch lr ${scratch.seg.lr} (seg) / ${scratch.cls.lr} (cls), no layer decay; pretrained with bundled (or its file, or any encoder usfm pretrain wrote) ${bundled.seg.lr} / ${bundled.cls.lr},
  layer decay ${bundled.seg.layerDecay} / ${bundled.cls.layerDecay} (measured best for our small ViT-T); with any other checkpoint the official ${official.seg.lr} / ${official.cls.lr} and layer decay ${official.seg.layerDecay}.
  --class-weights balanced (cls): each run weights its loss by the inverse class frequency of its own subset.
  Writes DIR/runs/ARM-rRATIO-sSEED/ (best.safetensors, metrics.jsonl, test.json; the resume state and last.safetensors
  are dropped once a run is scored), DIR/results.json (every run with its test metrics and the validation scores that
  chose its checkpoint, mean ± sample std per arm × ratio, budget, wall times), DIR/plot.svg, DIR/plot.png and
  DIR/report.html (self-contained).
  Resumable: re-run the same command to skip finished runs and continue an interrupted one (Ctrl-C stops after the
  current step, exit status 130 / 143); once a run has finished or saved progress, other options for the same DIR are refused
  (DIR/options.json). The pretrained arm's weights are recorded by path and SHA-256 and compared by content: the same file
  at another path (a copy, a moved installation) is the same, other bytes at the same path are not.
  The summary adds pretrained − scratch at each ratio paired by seed (both arms share a seed's subset): mean ± SE, and
  in how many seeds pretraining led; and the claim check: the fewest labels at which pretraining matches (mean at least
  as high) or beats (by > 2 SE of the difference) scratch at the largest ratio.

usfm label-efficiency --merge STUDY[:ARM],STUDY[:ARM][,…] --out DIR
  Merges studies run with the same recipe (more seeds run elsewhere, other ratios or arms) into one: each STUDY is a
  study folder or its results.json. Every option that changes how a run trains must agree (an arm's lr and layer
  decay between studies that ran that arm), and so must each ratio's plan (images, epochs, steps); data and weights
  paths may differ (another machine): the pretrained weights must be the same by content (recorded SHA-256; for older
  studies without one, the file at the recorded path if still there, else a note). No run may be in two studies.
  STUDY:scratch (or :pretrained) takes only that arm's runs: the scratch arm does not depend on the weights, so new
  weights need only --arms pretrained with the recipe, seeds and ratios of an earlier study, merged with OLD:scratch.
  Writes DIR/results.json (the studies merged from listed), DIR/plot.svg, DIR/plot.png and DIR/report.html; DIR may
  hold an earlier merge, never a study of its own nor one of the merged ones.`;

/** '0.1,0.2,0.5,1' → ascending, distinct ratios in (0, 1]. */
export function parseRatios(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const ratios: number[] = [];
  for (const p of parts) {
    const r = Number(p);
    if (p === '' || !Number.isFinite(r)) throw new UsageError(`--ratios must be a comma-separated list of numbers in (0, 1], got '${v}'`);
    if (r <= 0 || r > 1) throw new UsageError(`--ratios: ${p} is outside (0, 1]`);
    if (ratios.includes(r)) throw new UsageError(`--ratios lists ${p} twice`);
    ratios.push(r);
  }
  return ratios.sort((a, b) => a - b);
}

/** 'scratch,pretrained' → ['pretrained', 'scratch'] (canonical order). */
export function parseArms(v: string): Arm[] {
  const parts = v.split(',').map((s) => s.trim());
  for (const p of parts) if (!(ARMS as readonly string[]).includes(p)) throw new UsageError(`--arms must list pretrained and/or scratch, got '${p}'`);
  return ARMS.filter((a) => parts.includes(a));
}

const FLAGS = ['task', 'data', 'weights', 'out', 'ratios', 'seeds', 'seed', 'arms', 'epochs', 'steps', 'img-size', 'batch-size', 'model', 'head',
  'seg-channels', 'lr-pretrained', 'layer-decay-pretrained', 'lr-scratch', 'augment', 'class-weights', 'merge'];

/** The study's options from the command line (UsageError for anything wrong). */
export function studyOptions(values: Record<string, unknown>): StudyOptions {
  const task = str(values.task, 'task');
  if (task !== 'cls' && task !== 'seg') throw new UsageError(`--task must be cls or seg, got '${task}'`);
  const arms = parseArms(str(values.arms, 'arms', 'pretrained,scratch'));
  const w = values.weights === undefined ? null : bundledOr(String(values.weights), modelName(values.model, 'vit-t')!);
  const pre = recipeDefaults(values.weights === undefined ? 'none' : String(values.weights), task);
  if (arms.includes('pretrained') && w === null) throw new UsageError('--weights CKPT is required for the pretrained arm (or run --arms scratch)');
  if (values.epochs !== undefined && values.steps !== undefined) throw new UsageError('give --epochs or --steps, not both');
  const budget: Budget = values.steps !== undefined ? { unit: 'steps', value: int(values.steps, 'steps', 1) } : { unit: 'epochs', value: int(values.epochs, 'epochs', bundled[task].epochs) };
  const size = parseSize(values['img-size']) ?? [224, 224];
  if (size[0] !== size[1]) throw new UsageError('--img-size must be square for fine-tuning');
  if (task === 'cls' && values.head !== undefined) throw new UsageError('--head is for --task seg');
  const head = str(values.head, 'head', 'upernet');
  if (head !== 'upernet' && head !== 'atm') throw new UsageError(`--head must be upernet or atm, got '${head}'`);
  if (values['seg-channels'] !== undefined && (task !== 'seg' || head !== 'upernet')) throw new UsageError('--seg-channels is for --task seg --head upernet');
  const segChannels = values['seg-channels'] === undefined ? {} : { segChannels: int(values['seg-channels'], 'seg-channels', 0, 1) };
  if (values['class-weights'] !== undefined && task !== 'cls') throw new UsageError('--class-weights is for --task cls');
  const cw = str(values['class-weights'], 'class-weights', 'none');
  if (cw !== 'none' && cw !== 'balanced') throw new UsageError(`--class-weights must be none or balanced, got '${cw}'`);
  const seeds = int(values.seeds, 'seeds', 3);
  const seed = int(values.seed, 'seed', 42, 0);
  return {
    task, data: str(values.data, 'data'), weights: w, model: modelName(values.model, 'vit-t')!, ...(task === 'seg' ? { head } : {}), ...segChannels,
    imgSize: size[0], batchSize: int(values['batch-size'], 'batch-size', 8), budget,
    lrPretrained: num(values['lr-pretrained'], 'lr-pretrained', pre.lr, 0),
    layerDecayPretrained: num(values['layer-decay-pretrained'], 'layer-decay-pretrained', pre.layerDecay, 0, 1),
    lrScratch: num(values['lr-scratch'], 'lr-scratch', scratch[task].lr, 0),
    ratios: parseRatios(str(values.ratios, 'ratios', '0.1,0.2,0.5,1')), seeds: Array.from({ length: seeds }, (_, i) => seed + i), arms,
    ...(values.augment === undefined ? {} : { augment: augmentArg(values.augment) }),
    // Recorded only when it changes something, so an explicit --class-weights none re-runs the same study.
    ...(cw === 'balanced' ? { classWeights: cw } : {}),
  };
}

export async function labelEfficiencyCommand(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, Object.fromEntries(FLAGS.map((k) => [k, { type: 'string' as const }])));
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const out = str(values.out, 'out');
  if (values.merge !== undefined) {
    const other = Object.keys(values).find((k) => k !== 'merge' && k !== 'out');
    if (other !== undefined) throw new UsageError(`--merge takes only --out (the studies' own options are merged), not --${other}`);
    const paths = str(values.merge, 'merge').split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (paths.length < 2) throw new UsageError('--merge needs at least two studies, comma-separated');
    return report(await mergeStudyFolders(paths, out, progressLog(io)), out, io);
  }
  const o = studyOptions(values);
  const results = await labelEfficiency(o, out, progressLog(io)).catch((e: unknown) => {
    throw e instanceof StudyOptionsError ? new UsageError(e.message) : e;
  });
  return report(results, out, io);
}

/** Plot, HTML report and the summary on stdout. */
async function report(results: StudyResults, out: string, io: Io): Promise<void> {
  const files = await writeStudyReport(out, results);
  const m = results.metric;
  const lines = [`\nTest ${metricLabel(m)} (mean ± std over seeds):`,
    ...results.summary.map((s) => {
      const v = s.metrics[m] ?? { mean: NaN, std: NaN, n: 0 };
      return `  ${percent(s.ratio).padStart(8)}  ${s.arm.padEnd(10)}  ${meanStd(v, metricDigits(m))}  (n ${v.n})`;
    }),
    ...((g) => (g.length ? [pairedLine(g, m)] : []))(pairedGains(results.runs, m)),
    claimCheck(results.summary, m).sentence,
    `${results.complete ? '' : `Incomplete (${results.runs.length} runs; ${missingRunsHint(results)}). `}Wrote ${out}/results.json, ${files.svg}, ${files.png}, ${files.html}`];
  io.out(`${lines.join('\n')}\n`);
}
