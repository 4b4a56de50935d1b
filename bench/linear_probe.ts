/**
 * Frozen-feature probes of an encoder on a classification dataset in the USFM layout: embeds every image
 * of the train, val and test splits once (mean-pooled final-norm tokens, `usfm embed`'s 'pooled'), then
 *  - a class-balanced multinomial logistic regression on standardised features, solved exactly (Newton;
 *    L2 strength chosen on val balanced accuracy from a fixed grid), and
 *  - a cosine k-NN (k chosen on val from 5, 10, 20; class-balanced votes),
 * and prints test balanced accuracy, macro-F1 and AUC of both as one JSON line. Deterministic: no
 * augmentation, full-batch optimisation from zeros. Used to compare pretraining objectives without the
 * noise of fine-tuning runs (bench/pretrain_ablation.sh).
 *
 *     node --import tsx bench/linear_probe.ts --data ../shared/data/Cls/busi --weights CKPT|none [--img-size 224] [--model vit-t]
 */
import { parseArgs } from 'node:util';
import { scanClsDataset } from '../src/data/datasets/index.js';
import type { Split } from '../src/data/datasets/index.js';
import { loadImageTensor, stackBatch } from '../src/data/index.js';
import { clsMetrics } from '../src/metrics/cls.js';
import { isModelName, makeConfig } from '../src/models/usfm/config.js';
import { loadUsfm, UsfmEncoder } from '../src/models/usfm/model.js';
import { balancedClassWeights, classCounts } from '../src/train/task_loss.js';

const { values } = parseArgs({ options: {
  data: { type: 'string' }, weights: { type: 'string' }, 'img-size': { type: 'string', default: '224' },
  model: { type: 'string', default: 'vit-t' }, batch: { type: 'string', default: '16' }, seed: { type: 'string', default: '0' },
} });
if (!values.data || !values.weights) throw new Error('usage: linear_probe.ts --data ROOT --weights CKPT|none [--img-size 224] [--model vit-t]');
if (!isModelName(values.model)) throw new Error(`--model ${values.model}: vit-t, vit-s or vit-b`);
const size = Number(values['img-size']);
const enc = values.weights === 'none'
  ? UsfmEncoder.random(makeConfig(values.model, { imgSize: [size, size] }), Number(values.seed))
  : await loadUsfm(values.weights, { imgSize: size });

interface Features { x: Float32Array[]; y: number[] }
async function featuresOf(split: Split): Promise<{ f: Features; classes: readonly string[] }> {
  const ds = await scanClsDataset(values.data!, split);
  const x: Float32Array[] = [];
  const bs = Number(values.batch);
  for (let i = 0; i < ds.items.length; i += bs) {
    const imgs = await Promise.all(ds.items.slice(i, i + bs).map((it) => loadImageTensor(it.path, [size, size])));
    const r = await enc.embed(stackBatch(imgs));
    const c = r.pooled.shape[1]!;
    for (let b = 0; b < imgs.length; b++) x.push(r.pooled.data.slice(b * c, (b + 1) * c));
  }
  return { f: { x, y: ds.items.map((it) => it.label) }, classes: ds.classes };
}

const t0 = performance.now();
const { f: train, classes } = await featuresOf('train');
const { f: val } = await featuresOf('val');
const { f: test } = await featuresOf('test');
await enc.release();
const embedS = (performance.now() - t0) / 1000;
const K = classes.length;
const D = train.x[0]!.length;

// Standardise with train statistics.
const mean = new Float64Array(D);
const sd = new Float64Array(D);
for (const v of train.x) for (let d = 0; d < D; d++) mean[d]! += v[d]! / train.x.length;
for (const v of train.x) for (let d = 0; d < D; d++) sd[d]! += (v[d]! - mean[d]!) ** 2 / train.x.length;
const norm = (f: Features): Float64Array[] => f.x.map((v) => Float64Array.from(v, (a, d) => (a - mean[d]!) / Math.sqrt(sd[d]! + 1e-8)));
const [xtr, xva, xte] = [norm(train), norm(val), norm(test)];

// Inverse class frequency weights (mean 1 over the training samples), as finetune --class-weights balanced.
const count = classCounts(train.y, K);
if (count.some((c) => c === 0)) throw new Error(`${values.data}: every class needs training images (counts ${count.join('/')})`);
const cw = balancedClassWeights(count);

function softmaxRow(z: Float64Array): Float64Array {
  const m = Math.max(...z);
  const e = z.map((a) => Math.exp(a - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((a) => a / s);
}

/**
 * Newton's method on the class-weighted mean cross-entropy + l2·|W|² (biases get 1e-8, which only pins the
 * softmax's free shift): a convex problem with one optimum, solved to convergence, so the probe depends on
 * the features alone. Returns predict(x) → probabilities.
 */
function fitLogistic(l2: number): (x: Float64Array) => Float64Array {
  const P = D + 1; // per class: D weights then the bias
  const n = K * P;
  const W = new Float64Array(n);
  const xs = xtr.map((x) => { const a = new Float64Array(P); a.set(x); a[D] = 1; return a; });
  const wsum = train.y.reduce((a, y) => a + cw[y]!, 0);
  const reg = (j: number): number => (j % P === D ? 1e-8 : l2);
  const probs = (x: Float64Array): Float64Array => {
    const z = new Float64Array(K);
    for (let k = 0; k < K; k++) { let s = 0; for (let d = 0; d < P; d++) s += W[k * P + d]! * x[d]!; z[k] = s; }
    return softmaxRow(z);
  };
  const objective = (): number => {
    let f = 0;
    xs.forEach((x, i) => { f -= (cw[train.y[i]!]! * Math.log(Math.max(probs(x)[train.y[i]!]!, 1e-300))) / wsum; });
    for (let j = 0; j < n; j++) f += reg(j) * W[j]! ** 2;
    return f;
  };
  let f = objective();
  for (let it = 0; it < 50; it++) {
    const g = new Float64Array(n);
    const H = new Float64Array(n * n);
    xs.forEach((x, i) => {
      const p = probs(x);
      const y = train.y[i]!;
      const w = cw[y]! / wsum;
      for (let k = 0; k < K; k++) {
        const r = w * (p[k]! - (k === y ? 1 : 0));
        for (let d = 0; d < P; d++) g[k * P + d]! += r * x[d]!;
        for (let j = 0; j < K; j++) {
          const h = w * p[k]! * ((k === j ? 1 : 0) - p[j]!);
          if (h === 0) continue;
          for (let d = 0; d < P; d++) {
            const row = (k * P + d) * n + j * P;
            const hx = h * x[d]!;
            for (let e = 0; e < P; e++) H[row + e]! += hx * x[e]!;
          }
        }
      }
    });
    for (let j = 0; j < n; j++) { g[j]! += 2 * reg(j) * W[j]!; H[j * n + j]! += 2 * reg(j); }
    const step = choleskySolve(H, g, n);
    let t = 1;
    const w0 = W.slice();
    for (;;) {
      for (let j = 0; j < n; j++) W[j] = w0[j]! - t * step[j]!;
      const f1 = objective();
      if (f1 <= f || t < 1e-6) { if (f - f1 < 1e-10) it = 50; f = f1; break; }
      t /= 2;
    }
  }
  return (x) => { const a = new Float64Array(P); a.set(x); a[D] = 1; return probs(a); };
}

/** Solves H·s = g for a symmetric positive definite H (Cholesky). */
function choleskySolve(H: Float64Array, g: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = H[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * n + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) { let s = g[i]!; for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!; y[i] = s / L[i * n + i]!; }
  const s = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) { let v = y[i]!; for (let k = i + 1; k < n; k++) v -= L[k * n + i]! * s[k]!; s[i] = v / L[i * n + i]!; }
  return s;
}

function knn(k: number): (x: Float64Array) => Float64Array {
  const unit = (x: Float64Array): Float64Array => { const n = Math.hypot(...x) || 1; return x.map((a) => a / n); };
  const bank = xtr.map(unit);
  return (x) => {
    const u = unit(x);
    const sims = bank.map((b, i) => ({ s: b.reduce((a, c, d) => a + c * u[d]!, 0), y: train.y[i]! }));
    sims.sort((a, b) => b.s - a.s);
    const votes = new Float64Array(K);
    for (const { y } of sims.slice(0, k)) votes[y]! += cw[y]!;
    const s = votes.reduce((a, b) => a + b, 0) || 1;
    return votes.map((a) => a / s);
  };
}

const evaluate = (predict: (x: Float64Array) => Float64Array, xs: Float64Array[], ys: number[]) => clsMetrics(ys, xs.map(predict), K);
function pick(grid: readonly number[], make: (p: number) => (x: Float64Array) => Float64Array) {
  let best: { p: number; val: number; predict: (x: Float64Array) => Float64Array } | null = null;
  const all: string[] = [];
  for (const p of grid) {
    const predict = make(p);
    const score = evaluate(predict, xva, val.y).balancedAccuracy;
    all.push(`${p}: val ${score.toFixed(3)} test ${evaluate(predict, xte, test.y).balancedAccuracy.toFixed(3)}`);
    if (!best || score > best.val) best = { p, val: score, predict };
  }
  if (!best) throw new Error('pick: empty grid');
  const t = evaluate(best.predict, xte, test.y);
  return { choice: best.p, val_bal_acc: best.val, test_bal_acc: t.balancedAccuracy, test_macro_f1: t.macroF1, test_auc: t.macroAuc, grid: all.join('; ') };
}

const logistic = pick([1e-4, 1e-3, 1e-2, 1e-1], fitLogistic);
const nn = pick([5, 10, 20], knn);
console.log(JSON.stringify({
  weights: values.weights, data: values.data, img_size: size, dim: D, classes,
  n: { train: train.y.length, val: val.y.length, test: test.y.length }, embed_s: Number(embedS.toFixed(1)),
  logistic: { l2: logistic.choice, ...round(logistic) }, knn: { k: nn.choice, ...round(nn) },
}));

function round(r: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'choice').map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(4)) : v]));
}
