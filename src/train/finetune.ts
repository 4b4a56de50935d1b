import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { HostTensor } from '../core/host.js';
import { Rng } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { input } from '../core/tensor.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import type { ClsItem } from '../data/datasets/cls.js';
import { scanClsDataset } from '../data/datasets/cls.js';
import type { SegItem } from '../data/datasets/seg.js';
import { scanSegDataset } from '../data/datasets/seg.js';
import { labelSubset } from '../data/datasets/subset.js';
import { readPixelTable } from '../data/datasets/pixel_sizes.js';
import type { LoadFn } from '../data/loader/loader.js';
import { BatchLoader } from '../data/loader/loader.js';
import { clsLoad, segLoad, segMaskOptions } from '../data/loader/samples.js';
import { SamplePool } from '../data/loader/pool.js';
import { CLS_AUGMENT, parseAugment, SEG_AUGMENT } from '../data/loader/augment_spec.js';
import { initialise } from '../nn/init.js';
import type { ParamSpec } from '../nn/var_builder.js';
import { VarBuilder } from '../nn/var_builder.js';
import { denormalMode, nodeBackend } from '../runtime/node.js';
import type { DenormalMode } from '../runtime/types.js';
import { loadBackbone } from '../models/usfm/backbone.js';
import type { ModelName, UsfmConfig } from '../models/usfm/config.js';
import { makeConfig } from '../models/usfm/config.js';
import { AdamW } from './adamw.js';
import { applyLayerDecay, applyNoDecay } from './param_groups.js';
import { ParamSet } from './param_set.js';
import { evalFunction, evaluate, summary, TASK_KEY, taskForward } from './evaluate.js';
import type { SegHead, TaskOutputs, TaskSpec } from './evaluate.js';
import type { RunPosition } from './run_state.js';
import { checkNewRunFolder, loadRun, readSavedOptions, runClock, saveRun, saveRunOptions } from './run_state.js';
import { cosineWithWarmup } from './schedule.js';
import { TrainStep } from './step.js';
import { balancedClassWeights, classCounts, taskLoss } from './task_loss.js';
import { GradAccumulator } from './accumulate.js';
import { endEpoch, nonFiniteStop, StopOnSignal, updateOrStop } from './stop.js';
import { dropPathMasks, dropPathRates } from './drop_path.js';

export interface FinetuneOptions {
  readonly task: 'cls' | 'seg';
  readonly data: string;
  /** Encoder checkpoint, or null for random initialisation. */
  readonly weights: string | null;
  readonly model: ModelName;
  readonly out: string;
  readonly imgSize: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** Base learning rate at batch 512 (scaled by batch/512, as the official recipe). */
  readonly lr: number;
  readonly labelRatio: number;
  readonly seed: number;
  readonly layerDecay: number;
  readonly weightDecay: number;
  readonly warmupEpochs: number;
  readonly clipNorm: number;
  readonly dropPath: number;
  readonly valEvery: number;
  /** Training augmentations (`--augment` syntax, see data/loader/augment_spec.ts); default per task. */
  readonly augment?: string;
  /** Classification: 'balanced' weights the CE by n / (C·n_c) from the training subset (against majority-class collapse). */
  readonly classWeights?: 'none' | 'balanced';
  /** Micro-batches per optimizer step (gradient accumulation; the lr scales with batchSize·accumSteps). Default 1. */
  readonly accumSteps?: number;
  /** Segmentation classes incl. background (default 2: binary masks; more: class-index mask PNGs). */
  readonly classes?: number;
  /** Segmentation head (default UPerNet). */
  readonly head?: SegHead;
  /** UPerNet decoder width; 0 = the backbone's width (768 for vit-b, as the official config). */
  readonly segChannels: number;
  /** Continue the run in `out` from its last saved position (options must be the run's own). */
  readonly resume?: boolean;
  /**
   * Worker threads that load training samples (decode, augment, normalise) ahead of the model;
   * 0 loads on the main thread. Default min(CPUs, 4). Samples are identical either way.
   */
  readonly loaderWorkers?: number;
}

/** The options a run was started with (RUN_DIR/options.json), for `--resume RUN_DIR`. */
export function readRunOptions(dir: string): Promise<FinetuneOptions> {
  return readSavedOptions<FinetuneOptions>(dir, 'fine-tuning', (o) =>
    (o.task === 'cls' || o.task === 'seg') && typeof o.data === 'string' && typeof o.labelRatio === 'number' && typeof o.epochs === 'number');
}

export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly imagesPerSecond: number;
  /** Wall-clock seconds of the run at the end of this epoch (validation included), over all its sessions. */
  readonly seconds: number;
  readonly val?: Record<string, number>;
  readonly best?: boolean;
  /** How this epoch computed denormal floats (a resumed run may differ from its first session's epochs). */
  readonly denormals: DenormalMode;
}

type Item = ClsItem | SegItem;

/**
 * Fine-tune a USFM backbone for classification or segmentation; writes `last`/`best` checkpoints and metrics.jsonl.
 * Ctrl-C stops it with a checkpoint; `studyStop` (a study of runs) replaces its own signal handling.
 */
export async function finetune(o: FinetuneOptions, log: (line: string) => void, studyStop?: StopOnSignal): Promise<EpochRecord[]> {
  const isCls = o.task === 'cls';
  if (!o.resume) await checkNewRunFolder(o.out);
  const train = isCls ? await scanClsDataset(o.data, 'train') : await scanSegDataset(o.data, 'train');
  const val = isCls ? await scanClsDataset(o.data, 'val') : await scanSegDataset(o.data, 'val');
  for (const w of [...train.warnings, ...val.warnings]) log(`warning: ${w}`);
  const classes = isCls ? (train as Awaited<ReturnType<typeof scanClsDataset>>).classes.length : (o.classes ?? 2);
  const masks = isCls ? {} : segMaskOptions(classes);
  const items: readonly Item[] = labelSubset(train.items as Item[], o.labelRatio, o.seed, isCls ? (it) => (it as ClsItem).label : undefined);
  log(`${o.task}: ${items.length}/${train.items.length} training images (label ratio ${o.labelRatio}), ${val.items.length} validation, ${classes} classes`);

  const cfg: UsfmConfig = { ...makeConfig(o.model, { imgSize: [o.imgSize, o.imgSize], dropPath: o.dropPath }), sharedRelPos: false };
  const task: TaskSpec = {
    task: o.task, classes, imgSize: o.imgSize, segChannels: o.segChannels || cfg.embedDim,
    ...(isCls ? { classNames: (train as Awaited<ReturnType<typeof scanClsDataset>>).classes } : { head: o.head ?? 'upernet' }),
  };
  const build = (vb: VarBuilder, x: Tensor, dropPath?: { attn: Tensor; mlp: Tensor }[]): TaskOutputs => taskForward(task, cfg, vb, x, dropPath);
  const declare = (): ParamSpec[] => {
    const vb = VarBuilder.declare();
    build(vb, input('pixel_values', 'float32', ['B', 3, o.imgSize, o.imgSize]));
    return vb.specs();
  };
  const rng = new Rng(o.seed);
  let loaded = new Map<string, HostTensor<'float32'>>();
  if (o.weights) {
    // A new task head: any head in the checkpoint (e.g. another fine-tuned model's) is not reused.
    const r = await loadBackbone(o.weights, declare(), cfg, () => false, { dropTaskHead: true });
    loaded = r.tensors;
    log(`backbone from ${o.weights}: ${r.notes.join('; ')}`);
  }
  const specs = declare();
  const ps = new ParamSet(specs, new Map(specs.map((s) => [s.name, loaded.get(s.name) ?? initialise(s.shape, s.init, rng)])));
  applyLayerDecay(ps, cfg.depth, o.layerDecay);
  applyNoDecay(ps);
  const depth = cfg.depth;
  let classWeights: number[] | undefined;
  if (isCls && o.classWeights === 'balanced') {
    const n = classCounts(items.map((it) => (it as ClsItem).label), classes);
    if (n.some((c) => c === 0)) throw new Error(`${o.data}: --class-weights balanced needs every class in the training subset (counts ${n.join('/')})`);
    classWeights = balancedClassWeights(n);
    log(`class weights ${classWeights.map((w) => w.toFixed(3)).join(', ')} (inverse frequency)`);
  }
  const step = new TrainStep(nodeBackend, ps, taskLoss(task, cfg, classWeights ? { classWeights } : {}), { frozen: (n) => n === 'mask_token' });
  const opt = new AdamW(ps, { weightDecay: o.weightDecay, clipNorm: o.clipNorm });
  const evalFn = evalFunction(task, cfg);

  const augment = parseAugment(o.augment ?? (isCls ? CLS_AUGMENT : SEG_AUGMENT));
  const workers = o.loaderWorkers ?? Math.min(availableParallelism(), 4);
  // Started by the first load (inside the try below, whose finally stops it).
  const loading: { pool: SamplePool | null } = { pool: null };
  const inThread = (isCls ? clsLoad({ size: o.imgSize, augment }) : segLoad({ size: o.imgSize, augment, ...masks })) as LoadFn<Item>;
  const loadTrain: LoadFn<Item> = workers === 0 ? inThread : (item, rng, index) => {
    const pool = (loading.pool ??= new SamplePool({ size: o.imgSize, augment, ...masks, workers }));
    return isCls ? pool.cls(item as ClsItem, rng, index) : pool.seg(item as SegItem, rng, index);
  };
  const loadVal = (isCls ? clsLoad({ size: o.imgSize, augment: false }) : segLoad({ size: o.imgSize, augment: false, ...masks })) as LoadFn<Item>;
  const trainLoader = new BatchLoader(items, loadTrain, { batchSize: o.batchSize, shuffle: true, dropLast: items.length >= 2 * o.batchSize, seed: o.seed });
  const pixels = isCls ? null : await readPixelTable(o.data);
  const valLoader = new BatchLoader(val.items as readonly Item[], loadVal, { batchSize: o.batchSize, seed: o.seed });
  const accum = o.accumSteps ?? 1;
  const batchesPerEpoch = trainLoader.length; // the loader keeps a partial batch when there are fewer than two full ones
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / accum);
  const total = stepsPerEpoch * o.epochs;
  const scale = (o.batchSize * accum) / 512;
  const warmup = Math.min(Math.round(o.warmupEpochs * stepsPerEpoch), total - 1);
  const lrAt = cosineWithWarmup({ baseLr: o.lr * scale, minLr: o.lr * scale * 1e-3, warmupLr: o.lr * scale * 0.2, warmupSteps: warmup, totalSteps: total });
  const rates = dropPathRates(depth, o.dropPath);
  const dpRng = new Rng(o.seed + 7919);
  const keepMasks = (b: number): Record<string, HostTensor> => dropPathMasks(rates, dpRng, b);

  await mkdir(o.out, { recursive: true });
  let start: Pick<RunPosition, 'epoch' | 'batchesDone' | 'epochSums'> = { epoch: 0, batchesDone: 0 };
  let bestScore = -Infinity;
  let globalStep = 0;
  let clock = runClock();
  if (o.resume) {
    const pos = await loadRun(o.out, ps, opt);
    ({ globalStep, bestScore } = pos);
    clock = runClock(pos.seconds);
    dpRng.state = pos.rng;
    start = pos;
    log(pos.epoch >= o.epochs
      ? `${o.out}: finished (${o.epochs} epoch${o.epochs === 1 ? '' : 's'}), nothing to continue`
      : `resumed ${o.out} at epoch ${pos.epoch + 1}, batch ${pos.batchesDone}, step ${globalStep}`);
  } else {
    // Absolute paths: --resume works from any directory, and never silently on other data.
    await saveRunOptions({ ...o, data: resolve(o.data), weights: o.weights === null ? null : resolve(o.weights) });
  }
  const acc = new GradAccumulator();
  const stop = studyStop ?? StopOnSignal.forRun(o.out, log);
  const meta = { 'usfm.config': JSON.stringify(cfg), [TASK_KEY]: JSON.stringify(task) };
  const records: EpochRecord[] = [];
  const position = (epoch: number, batchesDone: number, epochSums?: Record<string, number>): Parameters<typeof saveRun>[3] =>
    ({ epoch, batchesDone, globalStep, bestScore, rng: dpRng.state, seconds: clock(), ...(epochSums ? { epochSums } : {}) });
  try {
  for (let epoch = start.epoch; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    const skip = epoch === start.epoch ? start.batchesDone : 0;
    // An epoch continued after --resume goes on from its saved sums.
    const before = skip > 0 ? start.epochSums : undefined;
    let lossSum = before?.loss ?? 0;
    let seen = before?.seen ?? 0;
    const epochSeconds = (): number => (before?.seconds ?? 0) + (performance.now() - t0) / 1000;
    let batchIndex = 0;
    for await (const batch of trainLoader.epoch(epoch)) {
      if (batchIndex++ < skip) continue; // the loader is deterministic: skipping replays the interrupted epoch
      const b = batch.pixel_values.shape[0]!;
      const feeds: Record<string, HostTensor> = { pixel_values: batch.pixel_values, ...keepMasks(b) };
      if (isCls) feeds.labels = batch.labels!;
      else feeds.masks = batch.masks!;
      const r = await step.run(feeds);
      if (!Number.isFinite(r.loss)) throw nonFiniteStop(o.out, `loss is ${r.loss}`, epoch, globalStep);
      const group = acc.push(r.grads, r.gradNorm, accum, batchIndex === batchesPerEpoch);
      if (group) {
        updateOrStop(opt, group.grads, lrAt(Math.min(globalStep, total - 1)), group.gradNorm, o.out, epoch, globalStep);
        globalStep++;
      }
      lossSum += r.loss * b;
      seen += b;
      const secs = (performance.now() - t0) / 1000;
      const eta = ((total - globalStep) * secs) / Math.max(1, (batchIndex - skip) / accum);
      log(`epoch ${epoch + 1}/${o.epochs} ${String(seen).padStart(5)}/${items.length} loss ${(lossSum / seen).toFixed(4)} ${(seen / epochSeconds()).toFixed(1)} img/s eta ${Math.round(eta)} s`);
      // Stop between optimizer steps, and not on the epoch's last batch (the epoch's own writes come first).
      if (stop.requested && acc.count === 0 && batchIndex < batchesPerEpoch) {
        await saveRun(o.out, ps, opt, position(epoch, batchIndex, { loss: lossSum, seen, seconds: epochSeconds() }), meta);
        await writeSafetensors(join(o.out, 'last.safetensors'), ps.snapshot(), { ...meta, 'usfm.epoch': String(epoch) });
        log(`saved at epoch ${epoch + 1}, batch ${batchIndex}; continue with: usfm finetune --resume ${o.out}`);
        stop.stoppedEarly();
        return records;
      }
    }
    const stats: { epoch: number; trainLoss: number; imagesPerSecond: number; val?: Record<string, number>; best?: boolean } = {
      epoch: epoch + 1, trainLoss: lossSum / Math.max(1, seen), imagesPerSecond: seen / epochSeconds(),
    };
    await writeSafetensors(join(o.out, 'last.safetensors'), ps.snapshot(), { ...meta, 'usfm.epoch': String(epoch + 1) });
    if ((epoch + 1) % o.valEvery === 0 || epoch + 1 === o.epochs) {
      stats.val = summary(await evaluate(evalFn, ps.views(), valLoader, task, pixels));
      // Multi-class: the mean per-class Dice (the foreground Dice would not see swapped classes).
      const score = isCls ? stats.val.balancedAccuracy! : (stats.val.mDice ?? stats.val.dice!);
      if (score > bestScore) {
        bestScore = score;
        stats.best = true;
        await writeSafetensors(join(o.out, 'best.safetensors'), ps.snapshot(), { ...meta, 'usfm.epoch': String(epoch + 1) });
      }
      log(`epoch ${epoch + 1}: ${Object.entries(stats.val).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}${stats.best ? ' (best)' : ''}`);
    }
    const record: EpochRecord = { ...stats, seconds: clock(), denormals: denormalMode() };
    await endEpoch(o.out, ps, opt, position(epoch + 1, 0), meta, record);
    records.push(record);
    if (stop.requested && epoch + 1 < o.epochs) {
      log(`saved at the end of epoch ${epoch + 1}; continue with: usfm finetune --resume ${o.out}`);
      stop.stoppedEarly();
      return records;
    }
  }
  } finally {
    if (stop !== studyStop) stop.dispose();
    await step.release();
    await evalFn.release();
    await loading.pool?.close();
  }
  return records;
}
