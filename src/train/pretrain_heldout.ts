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
  const out: PretrainItem[] = [];
  for (let k = 0; out.length < max && held.some((s) => k < s.items.length); k++) {
    for (const s of held) if (out.length < max && k < s.items.length) out.push(s.items[k]!);
  }
  return out;
}

export class HeldOutLoss {
  private readonly fn: CompiledFn;

  constructor(
    private readonly cfg: UsfmConfig, private readonly o: PretrainObjectiveOptions, readonly items: readonly PretrainItem[],
    private readonly batchSize: number, private readonly seed: number,
  ) {
    if (!items.length) throw new Error('HeldOutLoss: no images');
    this.fn = new CompiledFn(nodeBackend, (ins) => {
      const r = mimLoss(VarBuilder.bind(ins), ins, cfg, o);
      return { loss: r.loss, l_spa: r.lSpa, l_freq: r.lFreq };
    });
  }

  /** Mean losses over the held-out images (batch means weighted by batch size, as the training epoch's). */
  async run(params: ReadonlyMap<string, HostTensor>): Promise<HeldOutLosses> {
    const masker = new MimMasker(this.cfg, this.o, this.seed);
    const size = this.cfg.imgSize[0];
    const sums = { loss: 0, lSpa: 0, lFreq: 0 };
    for (let i = 0; i < this.items.length; i += this.batchSize) {
      const batch = this.items.slice(i, i + this.batchSize);
      const pixels = stackBatch(await Promise.all(batch.map(async (it) => imageToTensor(await decodeItem(it), size))));
      const r = await this.fn.run({ ...Object.fromEntries(params), ...masker.prepare(pixels).feeds });
      const n = batch.length;
      sums.loss += Number(r.loss!.data[0]) * n;
      sums.lSpa += Number(r.l_spa!.data[0]) * n;
      sums.lFreq += Number(r.l_freq!.data[0]) * n;
    }
    const n = this.items.length;
    return { loss: sums.loss / n, lSpa: sums.lSpa / n, lFreq: sums.lFreq / n };
  }

  async release(): Promise<void> {
    await this.fn.release();
  }
}
