import type { HostTensor } from '../core/host.js';
import type { Tensor } from '../core/tensor.js';
import type { ClsItem } from '../data/datasets/cls.js';
import type { SegItem } from '../data/datasets/seg.js';
import type { Batch, BatchLoader } from '../data/loader/loader.js';
import type { ClsMetrics } from '../metrics/cls.js';
import { clsMetrics } from '../metrics/cls.js';
import type { MetricSummary, SegMetrics } from '../metrics/seg.js';
import { segMetrics, summarise, summariseValues } from '../metrics/seg.js';
import { ellipseCircumference } from '../metrics/hc.js';
import type { PixelInfo } from '../data/datasets/pixel_sizes.js';
import { maskSpacing } from '../data/datasets/pixel_sizes.js';
import { VarBuilder } from '../nn/var_builder.js';
import { add, gather, mul, softmax } from '../ops/index.js';
import { constant } from '../core/tensor.js';
import { CompiledFn } from '../runtime/compiled.js';
import { nodeBackend } from '../runtime/node.js';
import { usfmClassifier } from '../models/usfm/classifier.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import { usfmUperNet } from '../models/usfm/upernet.js';
import type { AtmOutputs } from '../models/usfm/atm.js';
import { usfmAtm } from '../models/usfm/atm.js';

/** Metadata key of a fine-tuned checkpoint's task description. */
export const TASK_KEY = 'usfm.task';

/** What a fine-tuned model does; stored in its checkpoints' metadata. */
export interface TaskSpec {
  readonly task: 'cls' | 'seg';
  readonly classes: number;
  readonly imgSize: number;
  readonly segChannels: number;
  /** Segmentation head (absent in checkpoints from before the ATM head: UPerNet). */
  readonly head?: SegHead;
  readonly classNames?: readonly string[];
}

/** Segmentation heads: mmseg's UPerNet (+ FCN auxiliary head) or SegViT's ATM head. */
export type SegHead = 'upernet' | 'atm';

/** A task model's outputs: logits (cls [B, C]; seg [B, C, H, W]), the UPerNet auxiliary logits, the ATM head's stages. */
export interface TaskOutputs {
  readonly logits: Tensor;
  readonly aux?: Tensor;
  readonly atm?: AtmOutputs;
}

/** The task model's forward pass. */
export function taskForward(t: TaskSpec, cfg: UsfmConfig, vb: VarBuilder, x: Tensor, dropPath?: { attn: Tensor; mlp: Tensor }[]): TaskOutputs {
  if (t.task === 'cls') return { logits: usfmClassifier(vb, x, cfg, t.classes, { dropPath }) };
  if (t.head === 'atm') {
    const atm = usfmAtm(vb, x, cfg, { classes: t.classes }, { dropPath });
    return { logits: atm.logits, atm };
  }
  return usfmUperNet(vb, x, cfg, { classes: t.classes, channels: t.segChannels }, { dropPath });
}

/** Test-time augmentation of an evaluation: none, or the mean of the image's and its mirror image's probabilities. */
export type Tta = 'none' | 'hflip';

/** Mirror a [B, C, H, W] tensor left–right (a gather along W with a constant reversed index). */
export function flipW(x: Tensor): Tensor {
  const w = x.shape[3];
  if (typeof w !== 'number') throw new Error('flipW needs a static width');
  return gather(x, constant({ dtype: 'int64', shape: [w], data: BigInt64Array.from({ length: w }, (_, i) => BigInt(w - 1 - i)) }), 3);
}

/**
 * Class probabilities (cls: [B, C]; seg: [B, C, H, W]) in evaluation mode, symbolic batch. With `tta: 'hflip'` the
 * graph runs the model on the image and on its mirror image and averages the two (a segmentation's mirrored
 * probabilities mirrored back first): training augments with horizontal flips, so both views are in distribution.
 */
export function evalFunction(t: TaskSpec, cfg: UsfmConfig, opts: { readonly tta?: Tta } = {}): CompiledFn {
  return new CompiledFn(nodeBackend, (ins) => {
    const vb = VarBuilder.bind(ins);
    const probs = (x: Tensor): Tensor => {
      const out = taskForward(t, cfg, vb, x);
      // ATM scores are already class-probability × mask-probability products in [0, 1].
      return out.atm ? out.logits : softmax(out.logits, 1);
    };
    const x = ins.pixel_values!;
    if ((opts.tta ?? 'none') === 'none') return { probs: probs(x) };
    const mirrored = probs(flipW(x));
    return { probs: mul(add(probs(x), t.task === 'seg' ? flipW(mirrored) : mirrored), 0.5) };
  }, {
    dynamic: { pixel_values: { 0: 'B' } },
  });
}

export type Evaluation =
  | { readonly task: 'cls'; readonly metrics: ClsMetrics }
  | { readonly task: 'seg'; readonly perImage: readonly SegImageMetrics[] };

/** Per-image segmentation metrics; the mm fields when the dataset has a pixel size table (HC18). */
export type SegImageMetrics = SegMetrics & {
  readonly name: string;
  readonly hd95Mm?: number;
  /** Head circumference of the ellipse fitted to the prediction, its reference, and the absolute error (mm). */
  readonly hcMm?: number;
  readonly hcRefMm?: number;
  readonly hcErrorMm?: number;
  /** Multi-class models: Dice of each foreground class 1 … C−1 (NaN where both masks lack it). */
  readonly classDice?: readonly number[];
};

function classDice(pred: Uint8Array, gt: Uint8Array, classes: number): number[] {
  const inter = new Float64Array(classes);
  const p = new Float64Array(classes);
  const g = new Float64Array(classes);
  for (let i = 0; i < pred.length; i++) {
    p[pred[i]!]!++;
    g[gt[i]!]!++;
    if (pred[i] === gt[i]) inter[pred[i]!]!++;
  }
  return Array.from({ length: classes - 1 }, (_, j) => (p[j + 1]! + g[j + 1]! === 0 ? NaN : (2 * inter[j + 1]!) / (p[j + 1]! + g[j + 1]!)));
}

function mmMetrics(pred: Uint8Array, gt: Uint8Array, h: number, w: number, info: PixelInfo): Omit<SegImageMetrics, keyof SegMetrics | 'name'> {
  const spacing = maskSpacing(info, h, w);
  const hd = segMetrics(pred, gt, h, w, { spacing }).hd95;
  if (info.hcMm === undefined) return { hd95Mm: hd };
  const hc = ellipseCircumference(pred, h, w, spacing);
  return { hd95Mm: hd, hcMm: hc, hcRefMm: info.hcMm, hcErrorMm: Math.abs(hc - info.hcMm) };
}

/** Run a loader's items through the model and score them. */
export async function evaluate(
  fn: CompiledFn, params: ReadonlyMap<string, HostTensor>, loader: BatchLoader<ClsItem | SegItem>, t: TaskSpec,
  pixels?: ReadonlyMap<string, PixelInfo> | null,
): Promise<Evaluation> {
  const labels: number[] = [];
  const probs: number[] = [];
  const per: SegImageMetrics[] = [];
  const feedsBase = Object.fromEntries(params);
  for await (const batch of loader.epoch(0) as AsyncIterable<Batch<ClsItem | SegItem>>) {
    const r = await fn.run({ pixel_values: batch.pixel_values, ...feedsBase });
    const p = r.probs!.data as Float32Array;
    const b = batch.pixel_values.shape[0]!;
    if (t.task === 'cls') {
      labels.push(...Array.from(batch.labels!.data as BigInt64Array, Number));
      probs.push(...p);
      continue;
    }
    const [h, w] = [batch.pixel_values.shape[2]!, batch.pixel_values.shape[3]!];
    const masks = batch.masks!.data as Uint8Array;
    const c = t.classes;
    for (let i = 0; i < b; i++) {
      const pred = new Uint8Array(h * w);
      for (let k = 0; k < h * w; k++) {
        let best = 0;
        for (let j = 1; j < c; j++) if (p[(i * c + j) * h * w + k]! > p[(i * c + best) * h * w + k]!) best = j;
        pred[k] = best;
      }
      const item = batch.items[i] as SegItem;
      const gt = masks.subarray(i * h * w, (i + 1) * h * w);
      const info = pixels?.get(item.name);
      per.push({
        ...segMetrics(pred, gt, h, w), name: item.name, ...(info ? mmMetrics(pred, gt, h, w, info) : {}),
        ...(c > 2 ? { classDice: classDice(pred, gt, c) } : {}),
      });
    }
  }
  if (t.task === 'cls') return { task: 'cls', metrics: clsMetrics(labels, Float32Array.from(probs), t.classes) };
  return { task: 'seg', perImage: per };
}

/** Mean ± std over images of a millimetre metric (HC18's pixel-size table), or undefined when no image has one. */
export function mmSummary(perImage: readonly SegImageMetrics[], key: 'hd95Mm' | 'hcErrorMm'): MetricSummary | undefined {
  return perImage.some((m) => m[key] !== undefined) ? summariseValues(perImage.map((m) => m[key] ?? NaN)) : undefined;
}

/** The headline numbers of an evaluation (validation log, metrics.jsonl). */
export function summary(e: Evaluation): Record<string, number> {
  if (e.task === 'cls') {
    const m = e.metrics;
    return { accuracy: m.accuracy, balancedAccuracy: m.balancedAccuracy, macroF1: m.macroF1, macroAuc: m.macroAuc };
  }
  const s = summarise(e.perImage);
  const out: Record<string, number> = { dice: s.dice.mean, iou: s.iou.mean, hd95: s.hd95.mean };
  const cd = e.perImage[0]?.classDice;
  if (cd) {
    // Mean over foreground classes of each class's mean Dice over the images that have it.
    const perClass = cd.map((_, k) => summariseValues(e.perImage.map((m) => m.classDice![k]!)).mean);
    out.mDice = summariseValues(perClass).mean;
  }
  const hc = mmSummary(e.perImage, 'hcErrorMm');
  if (hc) out.hcErrorMm = hc.mean;
  return out;
}
