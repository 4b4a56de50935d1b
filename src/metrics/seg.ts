// Per-image binary segmentation metrics and their summary over a data set.
//
// Label maps are row-major H×W Uint8Arrays; any value ≥ 1 is foreground (the official USFM
// code merges every label ≥ 1 into one foreground class before scoring).
//
// Edge cases (per image):
//   both P and G empty   → dice 1, iou 1, hd95 0, sensitivity NaN (no positives)
//   exactly one empty    → dice ≈ 0 (1e-5 / (|P|+|G|+1e-5)), iou ≈ 0, hd95 NaN
//   no background in G   → specificity NaN (no negatives)
// NaN marks "undefined for this image": `summarise` leaves such values out of the mean and
// reports how many were excluded per metric.
import { boundaryMask, squaredEdt } from './edt.js';

/** Smoothing term of the official USFM Dice (also used for IoU so both-empty gives 1). */
export const DICE_SMOOTH = 1e-5;

export type Spacing = readonly [sy: number, sx: number];

export interface SegMetrics {
  dice: number;
  iou: number;
  /** Recall: TP / (TP + FN); NaN when G is empty. */
  sensitivity: number;
  /** TN / (TN + FP); NaN when G covers the whole image. */
  specificity: number;
  /** 95th-percentile symmetric boundary Hausdorff distance, in pixels or in the spacing's unit; NaN when exactly one mask is empty. */
  hd95: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export const SEG_METRIC_NAMES = ['dice', 'iou', 'sensitivity', 'specificity', 'hd95'] as const;
export type SegMetricName = (typeof SEG_METRIC_NAMES)[number];

export interface SegOptions {
  /** Physical pixel size [sy, sx] (e.g. mm); HD95 is then reported in that unit. Default [1, 1]. */
  spacing?: Spacing;
}

function checkShape(name: string, a: Uint8Array, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new Error(`${name}: bad size ${height}×${width}`);
  }
  if (a.length !== height * width) throw new Error(`${name}: ${a.length} values for ${height}×${width}`);
}

function checkSpacing(spacing: Spacing): void {
  const [sy, sx] = spacing;
  if (!(sy > 0 && sx > 0 && Number.isFinite(sy) && Number.isFinite(sx))) {
    throw new Error(`bad spacing [${sy}, ${sx}]`);
  }
}

/**
 * Linear-interpolation percentile (numpy.percentile's default), q in [0, 100].
 * Sorts `values` in place. NaN for an empty array.
 */
export function percentile(values: Float64Array, q: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  values.sort();
  const h = (q / 100) * (n - 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = values[lo]!;
  return a + (h - lo) * (values[hi]! - a);
}

/**
 * Both directed boundary-distance sets, concatenated (P→G then G→P), as MedPy's hd95 uses.
 * Empty when either mask is empty.
 */
export function boundaryDistances(
  pred: Uint8Array,
  gt: Uint8Array,
  height: number,
  width: number,
  spacing: Spacing = [1, 1],
): Float64Array {
  checkShape('boundaryDistances(pred)', pred, height, width);
  checkShape('boundaryDistances(gt)', gt, height, width);
  checkSpacing(spacing);
  const bp = boundaryMask(pred, height, width);
  const bg = boundaryMask(gt, height, width);
  let np = 0;
  let ng = 0;
  for (let i = 0; i < bp.length; i++) {
    np += bp[i]!;
    ng += bg[i]!;
  }
  if (np === 0 || ng === 0) return new Float64Array(0);
  const toG = squaredEdt(bg, height, width, spacing);
  const toP = squaredEdt(bp, height, width, spacing);
  const out = new Float64Array(np + ng);
  let k = 0;
  for (let i = 0; i < bp.length; i++) if (bp[i] !== 0) out[k++] = Math.sqrt(toG[i]!);
  for (let i = 0; i < bg.length; i++) if (bg[i] !== 0) out[k++] = Math.sqrt(toP[i]!);
  return out;
}

/**
 * HD95 between the boundaries of P and G. 0 when both are empty, NaN when exactly one is.
 */
export function hd95(pred: Uint8Array, gt: Uint8Array, height: number, width: number, spacing: Spacing = [1, 1]): number {
  const d = boundaryDistances(pred, gt, height, width, spacing);
  if (d.length > 0) return percentile(d, 95);
  let anyP = false;
  let anyG = false;
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] !== 0) anyP = true;
    if (gt[i] !== 0) anyG = true;
  }
  return anyP === anyG ? 0 : NaN;
}

/** All per-image metrics for one predicted / ground-truth label-map pair. */
export function segMetrics(
  pred: Uint8Array,
  gt: Uint8Array,
  height: number,
  width: number,
  opts: SegOptions = {},
): SegMetrics {
  checkShape('segMetrics(pred)', pred, height, width);
  checkShape('segMetrics(gt)', gt, height, width);
  const spacing = opts.spacing ?? [1, 1];
  checkSpacing(spacing);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] !== 0;
    const g = gt[i] !== 0;
    if (p) {
      if (g) tp++;
      else fp++;
    } else if (g) fn++;
    else tn++;
  }
  const sizeP = tp + fp;
  const sizeG = tp + fn;
  const dice = (2 * tp + DICE_SMOOTH) / (sizeP + sizeG + DICE_SMOOTH);
  const iou = (tp + DICE_SMOOTH) / (tp + fp + fn + DICE_SMOOTH);
  const sensitivity = sizeG > 0 ? tp / sizeG : NaN;
  const specificity = tn + fp > 0 ? tn / (tn + fp) : NaN;
  let hd: number;
  if (sizeP === 0 && sizeG === 0) hd = 0;
  else if (sizeP === 0 || sizeG === 0) hd = NaN;
  else hd = percentile(boundaryDistances(pred, gt, height, width, spacing), 95);
  return { dice, iou, sensitivity, specificity, hd95: hd, tp, fp, fn, tn };
}

export interface MetricSummary {
  /** Mean over the images where the metric is defined (NaN if none). */
  mean: number;
  /** Sample standard deviation (n − 1 denominator); NaN when fewer than 2 values. */
  std: number;
  /** Number of images that entered the mean. */
  n: number;
  /** Number of images left out because the metric was NaN (undefined) for them. */
  excluded: number;
}

export type SegSummary = { images: number } & Record<SegMetricName, MetricSummary>;

/** Mean ± sample std over defined values (non-NaN); NaN values are counted as excluded. */
export function summariseValues(values: readonly number[]): MetricSummary {
  let n = 0;
  let sum = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    n++;
    sum += v;
  }
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (const v of values) if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : NaN;
  return { mean, std, n, excluded: values.length - n };
}

/** Per-metric mean ± sample std (n − 1) over images, excluding images where a metric is NaN. */
export function summarise(perImage: readonly SegMetrics[]): SegSummary {
  const pick = (k: SegMetricName): MetricSummary => summariseValues(perImage.map((m) => m[k]));
  return {
    images: perImage.length,
    dice: pick('dice'),
    iou: pick('iou'),
    sensitivity: pick('sensitivity'),
    specificity: pick('specificity'),
    hd95: pick('hd95'),
  };
}
