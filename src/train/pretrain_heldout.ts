/**
 * The masked-image-modeling loss on held-out images (`usfm pretrain --val-data`), after every epoch: the same
 * objective on images the run never trains on, each seen whole (resized, as the reconstruction grids, no random
 * crop or flip), with masks drawn once from a fixed seed in a fixed order (the same every epoch) and no drop
 * path. Its curve beside the training loss shows whether the encoder still learns something that carries over to
 * new scans or has begun to memorise the training images.
 */
import type { HostTensor } from '../core/host.js';
import { imageToTensor, stackBatch } from '../data/preprocess.js';
import { decodeItem } from '../data/pretrain/sample.js';
import type { PretrainItem, PretrainSource } from '../data/pretrain/sources.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import { VarBuilder } from '../nn/var_builder.js';
import { MimMasker } from '../pretrain/batch.js';
import { mimLoss } from '../pretrain/objective.js';
import type { PretrainObjectiveOptions } from '../pretrain/options.js';
import { CompiledFn } from '../runtime/compiled.js';
import { nodeBackend } from '../runtime/node.js';

/** Held-out images measured when --val-images is not given. */
export const DEFAULT_VAL_IMAGES = 128;

export interface HeldOutLosses {
  readonly loss: number;
  readonly lSpa: number;
  readonly lFreq: number;
}

/**
 * Up to `max` held-out images taken in turn from each source (the first of each, then the second…), so that a
 * small budget still covers every source. Throws, naming the file, when a file is also trained on (any frame of a
 * cine counts: its neighbours are near copies).
 */
export function heldOutItems(held: readonly PretrainSource[], train: readonly PretrainSource[], max: number): PretrainItem[] {
  const training = new Set(train.flatMap((s) => s.items.map((it) => it.path)));
  const clash = held.flatMap((s) => s.items).find((it) => training.has(it.path));
  if (clash) throw new Error(`${clash.path}: is a training image too; held-out images (--val-data) must not be in --data`);
  return inTurn(held, max);
}

/** Up to `max` items taken in turn from each source: the first of each, then the second, … */
export function inTurn(sources: readonly PretrainSource[], max: number): PretrainItem[] {
  const out: PretrainItem[] = [];
  for (let k = 0; out.length < max && sources.some((s) => k < s.items.length); k++) {
    for (const s of sources) if (out.length < max && k < s.items.length) out.push(s.items[k]!);
  }
  return out;
}

export class HeldOutLoss {
  private readonly fn: CompiledFn;

  private constructor(
    private readonly cfg: UsfmConfig, private readonly o: PretrainObjectiveOptions, private readonly batches: readonly HostTensor<'float32'>[],
    private readonly seed: number,
  ) {
    this.fn = new CompiledFn(nodeBackend, (ins) => {
      const r = mimLoss(VarBuilder.bind(ins), ins, cfg, o);
      return { loss: r.loss, l_spa: r.lSpa, ...(r.lFreq ? { l_freq: r.lFreq } : {}) };
    });
  }

  /**
   * Decodes the images once, up front (a damaged one fails before any training), into batches of `batchSize`
   * (fewer images than that: one batch of them all); images past the last whole batch are left out, so that
   * one compiled graph serves every batch.
   */
  static async create(cfg: UsfmConfig, o: PretrainObjectiveOptions, items: readonly PretrainItem[], batchSize: number, seed: number): Promise<HeldOutLoss> {
    if (!items.length) throw new Error('HeldOutLoss: no images');
    const b = Math.min(batchSize, items.length);
    const used = items.slice(0, items.length - (items.length % b));
    const size = cfg.imgSize[0];
    const batches: HostTensor<'float32'>[] = [];
    for (let i = 0; i < used.length; i += b) {
      batches.push(stackBatch(await Promise.all(used.slice(i, i + b).map(async (it) => imageToTensor(await decodeItem(it), size)))));
    }
    return new HeldOutLoss(cfg, o, batches, seed);
  }

  /** Number of held-out images measured. */
  get images(): number {
    return this.batches.reduce((n, t) => n + t.shape[0]!, 0);
  }

  /** Mean losses over the held-out images (every batch the same size): the masks are the same at every call. */
  async run(params: ReadonlyMap<string, HostTensor>): Promise<HeldOutLosses> {
    const masker = new MimMasker(this.cfg, this.o, this.seed);
    const sums = { loss: 0, lSpa: 0, lFreq: 0 };
    for (const pixels of this.batches) {
      const r = await this.fn.run({ ...Object.fromEntries(params), ...masker.prepare(pixels).feeds });
      sums.loss += Number(r.loss!.data[0]);
      sums.lSpa += Number(r.l_spa!.data[0]);
      sums.lFreq += Number(r.l_freq?.data[0] ?? 0);
    }
    const n = this.batches.length;
    return { loss: sums.loss / n, lSpa: sums.lSpa / n, lFreq: sums.lFreq / n };
  }

  async release(): Promise<void> {
    await this.fn.release();
  }
}
