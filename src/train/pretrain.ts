import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { HostTensor } from '../core/host.js';
import { Rng } from '../core/random.js';
import { writePth } from '../checkpoint/pth_write.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import { imageToTensor, stackBatch } from '../data/preprocess.js';
import { PretrainLoader } from '../data/pretrain/loader.js';
import type { Balance } from '../data/pretrain/sampler.js';
import type { Flips } from '../data/pretrain/sample.js';
import { decodeItem, FLIP_PROBABILITIES, pretrainLoad } from '../data/pretrain/sample.js';
import { describeSources, scanSources } from '../data/pretrain/sources.js';
import { initialise } from '../nn/init.js';
import { loadBackbone } from '../models/usfm/backbone.js';
import type { ModelName, UsfmConfig } from '../models/usfm/config.js';
import { makeConfig } from '../models/usfm/config.js';
import { CONFIG_KEY } from '../models/usfm/model.js';
import { MimMasker } from '../pretrain/batch.js';
import { mimFrozen, mimLossFn, mimSpecs } from '../pretrain/objective.js';
import type { PretrainObjectiveOptions } from '../pretrain/options.js';
import { objectiveOptions } from '../pretrain/options.js';
import { denormalMode, nodeBackend } from '../runtime/node.js';
import type { DenormalMode } from '../runtime/types.js';
import { GradAccumulator } from './accumulate.js';
import { AdamW } from './adamw.js';
import { dropPathMasks, dropPathRates } from './drop_path.js';
import { applyNoDecay } from './param_groups.js';
import { ParamSet } from './param_set.js';
import { officialEncoderState, writeEncoderSafetensors } from './pretrain_export.js';
import { DEFAULT_VAL_IMAGES, HeldOutLoss, heldOutItems, inTurn } from './pretrain_heldout.js';
import { PreviewGrid } from './pretrain_preview.js';
import { checkSameSources, LOSS_KEY, RECORD_KEY, savedRecord, trainingRecord } from './pretrain_record.js';
import type { RunPosition } from './run_state.js';
import { checkNewRunFolder, loadRun, readSavedOptions, runClock, saveRun, saveRunOptions } from './run_state.js';
import { cosineWithWarmup } from './schedule.js';
import { TrainStep } from './step.js';
import { endEpoch, nonFiniteStop, StopOnSignal, updateOrStop } from './stop.js';

export interface PretrainOptions {
  /** Image folders, each a source (organ/centre/device); scanned recursively, training splits only. */
  readonly data: readonly string[];
  readonly model: ModelName;
  readonly out: string;
  /**
   * Start from an encoder checkpoint (e.g. the official USFM_latest.pth) instead of random weights, with a
   * fresh schedule; a pretraining checkpoint's decoder (RUN_DIR/last.safetensors) loads too when it fits.
   */
  readonly weights: string | null;
  readonly imgSize: number;
  readonly epochs: number;
  readonly batchSize: number;
  /**
   * Micro-batches per optimizer step (gradient accumulation; the lr scales with batchSize·accumSteps).
   * Default 1. Larger effective batches give the optimizer less noisy gradients at the same compute.
   */
  readonly accumSteps?: number;
  /** Base learning rate at batch 512 (scaled by batchSize·accumSteps/512, as SimMIM). */
  readonly lr: number;
  readonly weightDecay: number;
  readonly warmupEpochs: number;
  readonly clipNorm: number;
  readonly dropPath: number;
  readonly balance: Balance;
  /** 'train' (default): skip folders named like validation/test splits; 'all': read everything. */
  readonly splits?: 'train' | 'all';
  /** Draws per epoch; 0 = the number of images. */
  readonly epochLength: number;
  readonly seed: number;
  /** Write a reconstruction grid every k epochs (0 = never). */
  readonly gridEvery: number;
  /** Also write the encoder as a `.pth` the official PyTorch code loads. */
  readonly pth: boolean;
  /**
   * Random flips of the training images: 'hv' (default; horizontal and vertical, each with probability ½), 'h'
   * (horizontal only, as SimMIM: ultrasound has its probe at the top, and a vertical flip shows the scan upside
   * down) or 'none'.
   */
  readonly flips?: Flips;
  /** Held-out image folders (any split): the objective's loss on them is measured after every epoch. */
  readonly valData?: readonly string[];
  /** At most this many held-out images, taken in turn from each folder (default DEFAULT_VAL_IMAGES). */
  readonly valImages?: number;
  /** Objective settings that differ from DEFAULT_OBJECTIVE. */
  readonly objective: Partial<PretrainObjectiveOptions>;
  readonly resume?: boolean;
}

export interface PretrainRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly lSpa: number;
  readonly lFreq: number;
  readonly lr: number;
  readonly imagesPerSecond: number;
  /** The objective on the held-out images (--val-data), fixed masks, after the epoch. */
  readonly valLoss?: number;
  readonly valLSpa?: number;
  readonly valLFreq?: number;
  /** Wall-clock seconds of the run at the end of this epoch (checkpoints and grid included), over all its sessions. */
  readonly seconds: number;
  /** How this epoch computed denormal floats (a resumed run may differ from its first session's epochs). */
  readonly denormals: DenormalMode;
}

/** The options a run was started with (RUN_DIR/options.json), for `--resume RUN_DIR`. */
export function readPretrainOptions(dir: string): Promise<PretrainOptions> {
  return readSavedOptions<PretrainOptions>(dir, 'pretraining', (o) =>
    Array.isArray(o.data) && typeof o.model === 'string' && typeof o.epochs === 'number' && typeof o.objective === 'object' && typeof o.balance === 'string');
}

/**
 * Self-supervised pretraining with the spatial-frequency dual masked-image-modeling objective.
 * Per epoch: RUN_DIR/last.safetensors (encoder + decoder, to continue), encoder.safetensors (official
 * layout), metrics.jsonl, resume state; every `gridEvery` epochs grids/epoch-NNN.png.
 */
export async function pretrain(o: PretrainOptions, log: (line: string) => void): Promise<PretrainRecord[]> {
  if (!o.resume) await checkNewRunFolder(o.out);
  const fromOptions = objectiveOptions(o.objective);
  const sources = await scanSources([...o.data], { splits: o.splits ?? 'train' });
  for (const line of describeSources(sources)) log(line);
  // On --resume the run's own record decides (pretrain_record.ts): same data, and the objective it was trained with.
  const saved = o.resume ? await savedRecord(o.out) : null;
  if (saved) checkSameSources(o.out, saved.record, sources);
  const objective = saved ? objectiveOptions(saved.record.objective) : fromOptions;
  const held = o.valData?.length ? heldOutItems(await scanSources([...o.valData], { splits: 'all' }), sources, o.valImages ?? DEFAULT_VAL_IMAGES) : [];
  const cfg: UsfmConfig = makeConfig(o.model, { imgSize: [o.imgSize, o.imgSize], dropPath: o.dropPath, sharedRelPos: true });
  const specs = mimSpecs(cfg, objective);
  const rng = new Rng(o.seed);
  let loaded = new Map<string, HostTensor<'float32'>>();
  if (o.weights) {
    const r = await loadBackbone(o.weights, specs, cfg, () => false, { keepFinalNorm: true, keepDecoder: true });
    loaded = r.tensors;
    log(`encoder from ${o.weights}: ${r.notes.join('; ')}`);
  }
  const ps = new ParamSet(specs, new Map(specs.map((s) => [s.name, loaded.get(s.name) ?? initialise(s.shape, s.init, rng)])));
  applyNoDecay(ps);
  const step = new TrainStep(nodeBackend, ps, mimLossFn(cfg, objective), { frozen: mimFrozen(objective) });
  const opt = new AdamW(ps, { weightDecay: o.weightDecay, clipNorm: o.clipNorm });
  const flips = o.flips ?? 'hv';
  const loader = new PretrainLoader(sources, pretrainLoad({ imgSize: o.imgSize, ...FLIP_PROBABILITIES[flips] }), {
    batchSize: o.batchSize, balance: o.balance, seed: o.seed, ...(o.epochLength > 0 ? { length: o.epochLength } : {}),
  });
  if (loader.length < 1) throw new Error(`${o.data.join(',')}: ${loader.epochLength} images per epoch, fewer than one batch of ${o.batchSize}`);
  const masker = new MimMasker(cfg, objective, o.seed + 104729);
  const rates = dropPathRates(cfg.depth, o.dropPath);
  const dpRng = new Rng(o.seed + 7919);
  const accum = o.accumSteps ?? 1;
  if (!Number.isInteger(accum) || accum < 1) throw new Error(`accumSteps must be a positive integer, got ${accum}`);
  const stepsPerEpoch = Math.ceil(loader.length / accum);
  const total = stepsPerEpoch * o.epochs;
  const scale = (o.batchSize * accum) / 512;
  const warmup = Math.min(Math.round(o.warmupEpochs * stepsPerEpoch), total - 1);
  const lrAt = cosineWithWarmup({ baseLr: o.lr * scale, minLr: o.lr * scale * 0.01, warmupLr: o.lr * scale * 0.01, warmupSteps: warmup, totalSteps: total });

  // Preview: up to 4 images spread over the sources, never augmented, fixed masks.
  const previewItems = inTurn(sources, 4);
  const heldOut = held.length ? await HeldOutLoss.create(cfg, objective, held, o.batchSize, o.seed + 2) : null;
  if (heldOut) log(`held-out: ${heldOut.images} images from ${o.valData!.join(', ')} (the objective's loss on them after every epoch)`);
  const preview = o.gridEvery > 0
    ? new PreviewGrid(cfg, objective, stackBatch(await Promise.all(previewItems.map(async (it) => imageToTensor(await decodeItem(it), o.imgSize)))), o.seed + 1)
    : null;

  await mkdir(o.out, { recursive: true });
  let start: Pick<RunPosition, 'epoch' | 'batchesDone' | 'epochSums'> = { epoch: 0, batchesDone: 0 };
  let globalStep = 0;
  let clock = runClock();
  if (o.resume) {
    const pos = await loadRun(o.out, ps, opt);
    globalStep = pos.globalStep;
    clock = runClock(pos.seconds);
    dpRng.state = pos.rng;
    masker.rngState = pos.rngs?.masker ?? masker.rngState;
    start = pos;
    if (pos.epoch >= o.epochs) {
      log(`${o.out}: finished (${o.epochs} epoch${o.epochs === 1 ? '' : 's'}), nothing to continue; to pretrain further, start a new run with --weights ${join(o.out, 'last.safetensors')}`);
    } else {
      log(`resumed ${o.out} at epoch ${pos.epoch + 1}, batch ${pos.batchesDone}, step ${globalStep}`);
    }
  } else {
    // Absolute paths: --resume works from any directory, and never silently on other data.
    // Every objective setting, not only those given: a later default never changes what --resume continues.
    await saveRunOptions({
      ...o, data: o.data.map((d) => resolve(d)), weights: o.weights === null ? null : resolve(o.weights), objective,
      ...(o.valData ? { valData: o.valData.map((d) => resolve(d)) } : {}),
    });
  }
  const stop = StopOnSignal.forRun(o.out, log);
  // The training record every checkpoint carries: the objective, and what it learnt from (absolute folders, as the
  // run's options.json; each source's name and image count, which stay meaningful on another machine).
  const schedule = {
    model: o.model, imgSize: o.imgSize, epochs: o.epochs, epochLength: o.epochLength, batchSize: o.batchSize, accumSteps: accum, lr: o.lr,
    weightDecay: o.weightDecay, warmupEpochs: o.warmupEpochs, clipNorm: o.clipNorm, dropPath: o.dropPath, flips, seed: o.seed,
    weights: o.weights === null ? null : resolve(o.weights),
  };
  const meta = { [CONFIG_KEY]: JSON.stringify(cfg), [RECORD_KEY]: JSON.stringify(trainingRecord(objective, sources, o.balance, schedule)) };
  const position = (epoch: number, batchesDone: number, epochSums?: Record<string, number>): Parameters<typeof saveRun>[3] =>
    ({ epoch, batchesDone, globalStep, bestScore: 0, rng: dpRng.state, rngs: { masker: masker.rngState }, seconds: clock(), ...(epochSums ? { epochSums } : {}) });
  const records: PretrainRecord[] = [];
  const acc = new GradAccumulator();
  try {
    for (let epoch = start.epoch; epoch < o.epochs; epoch++) {
      const t0 = performance.now();
      const skip = epoch === start.epoch ? start.batchesDone : 0;
      // An epoch continued after --resume goes on from its saved sums.
      const before = skip > 0 ? start.epochSums : undefined;
      const sums = { loss: before?.loss ?? 0, lSpa: before?.lSpa ?? 0, lFreq: before?.lFreq ?? 0 };
      let seen = before?.seen ?? 0;
      const epochSeconds = (): number => (before?.seconds ?? 0) + (performance.now() - t0) / 1000;
      let batchIndex = 0;
      let lr = 0;
      for await (const batch of loader.epoch(epoch)) {
        if (batchIndex++ < skip) continue; // deterministic loader: skipping replays the interrupted epoch
        const b = batch.pixel_values.shape[0]!;
        const mim = masker.prepare(batch.pixel_values);
        const r = await step.run({ ...mim.feeds, ...dropPathMasks(rates, dpRng, b) });
        if (!Number.isFinite(r.loss)) throw nonFiniteStop(o.out, `loss is ${r.loss}`, epoch, globalStep);
        const group = acc.push(r.grads, r.gradNorm, accum, batchIndex === loader.length);
        if (group) {
          lr = lrAt(Math.min(globalStep, total - 1));
          updateOrStop(opt, group.grads, lr, group.gradNorm, o.out, epoch, globalStep);
          globalStep++;
        }
        seen += b;
        sums.loss += r.loss * b;
        sums.lSpa += Number(r.extra.l_spa!.data[0]) * b;
        sums.lFreq += Number(r.extra.l_freq?.data[0] ?? 0) * b;
        const secs = (performance.now() - t0) / 1000;
        const eta = ((total - globalStep) * secs) / Math.max(1, (batchIndex - skip) / accum);
        log(`epoch ${epoch + 1}/${o.epochs} ${String(batchIndex).padStart(4)}/${loader.length} loss ${(sums.loss / seen).toFixed(4)} ` +
          `(spa ${(sums.lSpa / seen).toFixed(4)}, freq ${(sums.lFreq / seen).toFixed(4)}) ${(seen / epochSeconds()).toFixed(1)} img/s eta ${Math.round(eta)} s`);
        // Stop between optimizer steps, and not on the epoch's last batch (the epoch's own writes come first).
        if (stop.requested && acc.count === 0 && batchIndex < loader.length) {
          await saveRun(o.out, ps, opt, position(epoch, batchIndex, { ...sums, seen, seconds: epochSeconds() }), meta);
          log(`saved at epoch ${epoch + 1}, batch ${batchIndex}; continue with: usfm pretrain --resume ${o.out}`);
          stop.stoppedEarly();
          return records;
        }
      }
      const imagesPerSecond = seen / epochSeconds();
      const val = heldOut ? await heldOut.run(ps.views()) : null;
      const stats: Omit<PretrainRecord, 'seconds' | 'denormals'> = {
        epoch: epoch + 1, loss: sums.loss / Math.max(1, seen), lSpa: sums.lSpa / Math.max(1, seen), lFreq: sums.lFreq / Math.max(1, seen), lr,
        imagesPerSecond, ...(val ? { valLoss: val.loss, valLSpa: val.lSpa, valLFreq: val.lFreq } : {}),
      };
      const { epoch: _e, lr: _lr, imagesPerSecond: _ips, ...losses } = stats;
      const snap = ps.snapshot();
      const epochMeta = { ...meta, 'usfm.epoch': String(epoch + 1), 'usfm.step': String(globalStep), [LOSS_KEY]: JSON.stringify(losses) };
      await writeSafetensors(join(o.out, 'last.safetensors'), snap, epochMeta);
      await writeEncoderSafetensors(join(o.out, 'encoder.safetensors'), snap, cfg, epochMeta);
      if (o.pth) await writePth(join(o.out, 'encoder.pth'), officialEncoderState(snap, cfg));
      if (preview && ((epoch + 1) % o.gridEvery === 0 || epoch + 1 === o.epochs)) {
        await mkdir(join(o.out, 'grids'), { recursive: true });
        await preview.write(join(o.out, 'grids', `epoch-${String(epoch + 1).padStart(3, '0')}.png`), ps.views());
      }
      const heldOutLine = val ? `; held-out ${val.loss.toFixed(4)} (spa ${val.lSpa.toFixed(4)}, freq ${val.lFreq.toFixed(4)})` : '';
      log(`epoch ${epoch + 1}: loss ${stats.loss.toFixed(4)} (spa ${stats.lSpa.toFixed(4)}, freq ${stats.lFreq.toFixed(4)})${heldOutLine}, ${stats.imagesPerSecond.toFixed(1)} img/s`);
      const record: PretrainRecord = { ...stats, seconds: clock(), denormals: denormalMode() };
      await endEpoch(o.out, ps, opt, position(epoch + 1, 0), meta, record);
      records.push(record);
      if (stop.requested && epoch + 1 < o.epochs) {
        log(`saved at the end of epoch ${epoch + 1}; continue with: usfm pretrain --resume ${o.out}`);
        stop.stoppedEarly();
        return records;
      }
    }
  } finally {
    stop.dispose();
    await step.release();
    await preview?.release();
    await heldOut?.release();
  }
  return records;
}
