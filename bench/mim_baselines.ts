/**
 * Yardsticks for the spatial branch's loss: what L_spa (L1 on the masked pixels of the normalised image,
 * `usfm pretrain`'s `spa`) trivial predictors reach on the same images and masks, so a pretraining run's
 * curve can be read. A run whose L_spa stays above "local interpolation" has not learnt to use the visible
 * neighbourhood of a masked unit, whatever it does otherwise.
 *  - visible mean: every masked pixel predicted by the mean of the image's visible pixels (per channel);
 *  - local interpolation σ: a Gaussian-weighted mean of the visible pixels around each masked pixel
 *    (normalised convolution), σ in pixels;
 *  - oracle cell median u: the true median of each u×u cell: the best any prediction constant over u×u
 *    cells can do (it sees the answer; a floor set by speckle, not reachable).
 * Images: every `--every`-th training image of each source (val/test splits skipped), resized to the
 * square input without augmentation; masks drawn as `usfm pretrain` does (SimMIM units, exact ratio).
 *
 *     node --import tsx bench/mim_baselines.ts --data DIR[,DIR…] [--img-size 224] [--mask-unit 32] [--mask-ratio 0.6] [--every 10]
 */
import { parseArgs } from 'node:util';
import { imageToTensor, stackBatch } from '../src/data/preprocess.js';
import { decodeItem } from '../src/data/pretrain/sample.js';
import { scanSources } from '../src/data/pretrain/sources.js';
import { makeConfig } from '../src/models/usfm/config.js';
import { MIM_INPUTS, MimMasker } from '../src/pretrain/batch.js';
import { objectiveOptions } from '../src/pretrain/options.js';

const { values } = parseArgs({ options: {
  data: { type: 'string' }, 'img-size': { type: 'string', default: '224' }, 'mask-unit': { type: 'string', default: '32' },
  'mask-ratio': { type: 'string', default: '0.6' }, every: { type: 'string', default: '10' }, seed: { type: 'string', default: '5' },
} });
if (!values.data) throw new Error('usage: mim_baselines.ts --data DIR[,DIR…] [--img-size 224] [--mask-unit 32] [--mask-ratio 0.6] [--every 10]');
const S = Number(values['img-size']);
const every = Number(values.every);
const sources = await scanSources(values.data.split(','), { splits: 'train' });
const items = sources.flatMap((s) => s.items.filter((_, i) => i % every === 0));
const objective = objectiveOptions({
  branch: { spatial: 1, frequency: 0, both: 0 }, fill: 'mean', maskUnit: Number(values['mask-unit']), maskRatio: Number(values['mask-ratio']),
});
const masker = new MimMasker(makeConfig('vit-t', { imgSize: [S, S] }), objective, Number(values.seed));
const plane = S * S;

/** Separable Gaussian blur of an S×S plane (zero outside), kernel normalised to sum 1. */
function blur(a: Float32Array, sigma: number): Float32Array {
  const r = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((x, y) => x + y, 0);
  const pass = (src: Float32Array, dx: number, dy: number): Float32Array => {
    const out = new Float32Array(plane);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        let s = 0;
        for (let j = -r; j <= r; j++) {
          const xx = x + j * dx;
          const yy = y + j * dy;
          if (xx >= 0 && xx < S && yy >= 0 && yy < S) s += src[yy * S + xx]! * k[j + r]!;
        }
        out[y * S + x] = s / ks;
      }
    }
    return out;
  };
  return pass(pass(a, 1, 0), 0, 1);
}

function cellMedian(t: Float32Array, u: number): Float32Array {
  const out = new Float32Array(plane);
  for (let y = 0; y < S; y += u) {
    for (let x = 0; x < S; x += u) {
      const v: number[] = [];
      for (let yy = y; yy < Math.min(S, y + u); yy++) for (let xx = x; xx < Math.min(S, x + u); xx++) v.push(t[yy * S + xx]!);
      v.sort((a, b) => a - b);
      const m = v[v.length >> 1]!;
      for (let yy = y; yy < Math.min(S, y + u); yy++) for (let xx = x; xx < Math.min(S, x + u); xx++) out[yy * S + xx] = m;
    }
  }
  return out;
}

const sums = new Map<string, number>();
let images = 0;
for (let i0 = 0; i0 < items.length; i0 += 8) {
  const batch = stackBatch(await Promise.all(items.slice(i0, i0 + 8).map(async (it) => imageToTensor(await decodeItem(it), S))));
  const m = masker.prepare(batch);
  const target = m.feeds[MIM_INPUTS.target]!.data;
  const masks = m.feeds[MIM_INPUTS.pixelMask]!.data;
  const [b, c] = batch.shape as [number, number];
  for (let i = 0; i < b; i++) {
    const mask = masks.subarray(i * plane, (i + 1) * plane);
    const visible = Float32Array.from(mask, (v) => 1 - v);
    const masked = mask.reduce((x, y) => x + y, 0);
    const visBlur = new Map([8, 16].map((s) => [s, blur(visible, s)]));
    for (let ch = 0; ch < c; ch++) {
      const t = target.subarray((i * c + ch) * plane, (i * c + ch + 1) * plane);
      const score = (name: string, pred: (p: number) => number): void => {
        let s = 0;
        for (let p = 0; p < plane; p++) if (mask[p]) s += Math.abs(pred(p) - t[p]!);
        sums.set(name, (sums.get(name) ?? 0) + s / masked / c);
      };
      let sv = 0;
      for (let p = 0; p < plane; p++) sv += t[p]! * visible[p]!;
      const mean = sv / (plane - masked);
      score('visible mean', () => mean);
      for (const [s, den] of visBlur) {
        const num = blur(Float32Array.from(t, (v, p) => v * visible[p]!), s);
        score(`local interpolation σ ${s} px`, (p) => (den[p]! > 1e-3 ? num[p]! / den[p]! : mean));
      }
      for (const u of [16, 4]) {
        const med = cellMedian(t, u);
        score(`oracle cell median ${u} px`, (p) => med[p]!);
      }
    }
    images++;
  }
}
console.log(`L_spa of trivial predictors on ${images} images (mask unit ${objective.maskUnit} px, ratio ${objective.maskRatio}, ${S}²):`);
for (const [name, s] of sums) console.log(`  ${name.padEnd(30)} ${(s / images).toFixed(4)}`);
