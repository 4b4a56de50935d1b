// Classification metrics from integer labels and per-class probabilities [N, C].
//
// Prediction = argmax over classes (the first maximum on ties).
// Conventions:
//   balancedAccuracy — mean recall over the classes present in the labels (support > 0).
//   macroF1          — mean F1 over classes with support or predictions; a class with neither
//                      (TP + FP + FN = 0) has F1 NaN and is excluded (as scikit-learn's default
//                      label set, the union of true and predicted labels). A class predicted but
//                      never true has F1 0 and is included.
//   auc[k]           — one-vs-rest ROC AUC of probs[:, k] for "label = k", computed exactly as the
//                      Mann–Whitney statistic (P(score_pos > score_neg) + 0.5·P(tie)); NaN when the
//                      class has no positives or no negatives. macroAuc averages the defined ones
//                      (NaN if none).
//   confusion[t][p]  — rows are the true class, columns the predicted class.

export interface ClsMetrics {
  numClasses: number;
  n: number;
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  /** Number of classes that entered macroF1. */
  f1Classes: number;
  macroAuc: number;
  /** Number of classes with a defined AUC. */
  aucClasses: number;
  /** Per class TP / (TP + FP); NaN for a class never predicted. */
  precision: number[];
  /** Per class TP / (TP + FN); NaN for a class with no support. */
  recall: number[];
  /** Per class 2TP / (2TP + FP + FN); NaN for a class with no support and no predictions. */
  f1: number[];
  /** Per class one-vs-rest AUC; NaN for a class with no positives or no negatives. */
  auc: number[];
  /** Number of samples whose true label is each class. */
  support: number[];
  /** confusion[truth][prediction]. */
  confusion: number[][];
  /** Argmax class per sample. */
  predictions: Int32Array;
}

/** Probabilities as a flat row-major [N·C] array or as N rows of C. */
export type ProbInput = ArrayLike<number> | readonly ArrayLike<number>[];

function isRows(p: ProbInput): p is readonly ArrayLike<number>[] {
  return p.length > 0 && typeof p[0] !== 'number';
}

/** Flattens probabilities to [N·C] and returns C. */
function flatten(probs: ProbInput, n: number, numClasses?: number): { flat: Float64Array; c: number } {
  if (isRows(probs)) {
    if (probs.length !== n) throw new Error(`probs has ${probs.length} rows for ${n} labels`);
    const c = numClasses ?? probs[0]!.length;
    const flat = new Float64Array(n * c);
    probs.forEach((row, i) => {
      if (row.length !== c) throw new Error(`probs row ${i} has ${row.length} values, expected ${c}`);
      for (let k = 0; k < c; k++) flat[i * c + k] = row[k]!;
    });
    return { flat, c };
  }
  const c = numClasses ?? probs.length / n;
  if (!Number.isInteger(c) || probs.length !== n * c) {
    throw new Error(`probs has ${probs.length} values, not a multiple N·C of N = ${n}`);
  }
  return { flat: Float64Array.from(probs), c };
}

/**
 * Exact binary ROC AUC via midranks: (sum of positive ranks − P(P+1)/2) / (P·N).
 * Ties between a positive and a negative count 0.5. NaN when either class is absent.
 */
export function binaryAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = scores.length;
  if (positive.length !== n) throw new Error(`binaryAuc: ${n} scores, ${positive.length} labels`);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) nPos++;
  const nNeg = n - nPos;
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) throw new Error(`binaryAuc: NaN score at ${i}`);
  if (nPos === 0 || nNeg === 0) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[i]! - scores[j]!);
  let rankSumPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    const s = scores[order[i]!]!;
    while (j + 1 < n && scores[order[j + 1]!]! === s) j++;
    const midrank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (positive[order[k]!]) rankSumPos += midrank;
    i = j + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Confusion matrix [C][C], rows = truth, columns = prediction. */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, numClasses: number): number[][] {
  if (labels.length !== predictions.length) throw new Error('confusionMatrix: length mismatch');
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i]!;
    const p = predictions[i]!;
    if (!(Number.isInteger(t) && t >= 0 && t < numClasses)) throw new Error(`label ${t} at ${i} not in [0, ${numClasses})`);
    if (!(Number.isInteger(p) && p >= 0 && p < numClasses)) throw new Error(`prediction ${p} at ${i} not in [0, ${numClasses})`);
    m[t]![p]!++;
  }
  return m;
}

function meanDefined(xs: readonly number[]): { mean: number; count: number } {
  let s = 0;
  let count = 0;
  for (const x of xs) {
    if (Number.isNaN(x)) continue;
    s += x;
    count++;
  }
  return { mean: count > 0 ? s / count : NaN, count };
}

/**
 * All classification metrics. `probs` is [N, C] (flat row-major or rows); `numClasses`
 * defaults to C inferred from `probs`.
 */
export function clsMetrics(labels: ArrayLike<number>, probs: ProbInput, numClasses?: number): ClsMetrics {
  const n = labels.length;
  if (n === 0) throw new Error('clsMetrics: no samples');
  const { flat, c } = flatten(probs, n, numClasses);
  if (c < 1) throw new Error('clsMetrics: no classes');
  const predictions = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = flat[i * c]!;
    for (let k = 1; k < c; k++) {
      const v = flat[i * c + k]!;
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    predictions[i] = best;
  }
  const confusion = confusionMatrix(labels, predictions, c);
  let correct = 0;
  const support: number[] = [];
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const auc: number[] = [];
  const scores = new Float64Array(n);
  const positive: boolean[] = new Array<boolean>(n);
  for (let k = 0; k < c; k++) {
    const tp = confusion[k]![k]!;
    correct += tp;
    let rowSum = 0;
    let colSum = 0;
    for (let j = 0; j < c; j++) {
      rowSum += confusion[k]![j]!;
      colSum += confusion[j]![k]!;
    }
    support.push(rowSum);
    recall.push(rowSum > 0 ? tp / rowSum : NaN);
    precision.push(colSum > 0 ? tp / colSum : NaN);
    const denom = rowSum + colSum; // = 2TP + FP + FN
    f1.push(denom > 0 ? (2 * tp) / denom : NaN);
    for (let i = 0; i < n; i++) {
      scores[i] = flat[i * c + k]!;
      positive[i] = labels[i] === k;
    }
    auc.push(binaryAuc(scores, positive));
  }
  const f1m = meanDefined(f1);
  const aucm = meanDefined(auc);
  return {
    numClasses: c,
    n,
    accuracy: correct / n,
    balancedAccuracy: meanDefined(recall).mean,
    macroF1: f1m.mean,
    f1Classes: f1m.count,
    macroAuc: aucm.mean,
    aucClasses: aucm.count,
    precision,
    recall,
    f1,
    auc,
    support,
    confusion,
    predictions,
  };
}
