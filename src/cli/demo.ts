import { mkdir, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../checkpoint/atomic.js';
import { decodeImage } from '../data/decode.js';
import { readPixelTable } from '../data/datasets/pixel_sizes.js';
import { scanSegDataset } from '../data/datasets/seg.js';
import { writePng } from '../data/encode.js';
import type { ClsItem } from '../data/datasets/cls.js';
import type { SegItem } from '../data/datasets/seg.js';
import type { LoadFn } from '../data/loader/loader.js';
import { BatchLoader } from '../data/loader/loader.js';
import { segLoad, segMaskOptions } from '../data/loader/samples.js';
import type { MetricSummary } from '../metrics/seg.js';
import { summarise, summariseValues } from '../metrics/seg.js';
import { Predictor } from '../predict/predictor.js';
import { overlay } from '../predict/render.js';
import { evalFunction, evaluate, mmSummary } from '../train/evaluate.js';
import { finetune } from '../train/finetune.js';
import { readTaskCheckpoint, runCheckpoint } from '../train/task_checkpoint.js';
import { imgSize as parseSize, int, modelName, num, parse, str } from './args.js';
import { UsageError } from './errors.js';
import { progressLog } from './progress.js';
import { bundledOr, defaultWeightsArg, recipeDefaults } from './weights.js';
import type { Io } from './io.js';

/** The bundled HC18 subset (40/10/10 image–mask pairs, CC BY 4.0; see samples/README.md). */
export const DEMO_DATA = fileURLToPath(new URL('../../samples/hc18-mini', import.meta.url));

export const demoHelp = `usfm demo [--out demo-out] [--epochs 20] [--weights bundled|CKPT|none] [--model vit-t] [--head upernet|atm] [--img-size 224] [--batch-size 8] [--lr L] [--data ROOT]
  The README's main job: fine-tune a segmentation model on the bundled HC18 fetal-head subset (40 training,
  10 validation, 10 test images), evaluate it on the test images (Dice, IoU, HD95 in px and mm, head-circumference
  error in mm), and write overlays and a summary (OUT/summary.md, OUT/summary.json, OUT/overlays/*.png).
  --weights defaults to the bundled pretrained ViT-T; --lr is the base rate at batch 512 (default 1.28e-2, i.e. 2e-4 at
  batch 8, no layer decay, for bundled or none; 3.2e-3 with layer decay 0.65 for other checkpoints).`;

const f = (m: MetricSummary, d = 3): string => `${m.mean.toFixed(d)} ± ${m.std.toFixed(d)}${m.excluded ? ` (n ${m.n}; ${m.excluded} without a prediction)` : ''}`;

export async function demo(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, Object.fromEntries(['out', 'epochs', 'weights', 'model', 'img-size', 'data', 'batch-size', 'head', 'lr'].map((k) => [k, { type: 'string' as const }])));
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const out = str(values.out, 'out', 'demo-out');
  const data = str(values.data, 'data', DEMO_DATA);
  const model = modelName(values.model, 'vit-t')!;
  const weightsArg = defaultWeightsArg(values.weights, model);
  const recipe = recipeDefaults(weightsArg, 'seg');
  const weights = bundledOr(weightsArg, model) ?? 'none';
  const size = parseSize(values['img-size']) ?? [224, 224];
  if (size[0] !== size[1]) throw new UsageError('--img-size must be square');
  const epochs = int(values.epochs, 'epochs', 20);
  const head = str(values.head, 'head', 'upernet');
  if (head !== 'upernet' && head !== 'atm') throw new UsageError(`--head must be upernet or atm, got '${head}'`);
  const log = progressLog(io);
  const t0 = performance.now();
  const run = join(out, 'run');
  // A fresh run each time (the demo is not resumable), trained beside the previous one, which it replaces
  // only once training has finished: bad input or Ctrl-C leave the last model as it was.
  const fresh = join(out, 'run.partial');
  await rm(fresh, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  log(`usfm demo: fine-tuning ${model} (${weights === 'none' ? 'random init' : weights}) on ${data}, ${epochs} epochs at ${size[0]}×${size[0]}`);
  const records = await finetune({
    task: 'seg', data, weights: weights === 'none' ? null : weights, model, out: fresh, imgSize: size[0], epochs,
    batchSize: int(values['batch-size'], 'batch-size', 8), lr: num(values.lr, 'lr', recipe.lr, 0), labelRatio: 1, seed: 42, layerDecay: recipe.layerDecay,
    weightDecay: 0.05, warmupEpochs: Math.min(2, epochs - 1), clipNorm: 5, dropPath: 0.1, valEvery: 1, segChannels: 0, head,
  }, log);
  if (records.length < epochs) throw new Error(`${out}: demo stopped after ${records.length} of ${epochs} epochs; nothing evaluated (the partial run is in ${fresh})`);
  await rm(run, { recursive: true, force: true });
  await rename(fresh, run);
  const trainSeconds = (performance.now() - t0) / 1000;

  const ck = await readTaskCheckpoint(runCheckpoint(run));
  const test = await scanSegDataset(data, 'test');
  const fn = evalFunction(ck.task, ck.cfg);
  const loader = new BatchLoader<ClsItem | SegItem>(test.items, segLoad({ size: ck.task.imgSize, augment: false, ...segMaskOptions(ck.task.classes) }) as LoadFn<ClsItem | SegItem>, { batchSize: 8 });
  const result = await evaluate(fn, ck.tensors, loader, ck.task, await readPixelTable(data));
  await fn.release();
  if (result.task !== 'seg') throw new Error('demo: expected a segmentation evaluation');
  const s = summarise(result.perImage);
  const mm = (k: 'hd95Mm' | 'hcErrorMm'): MetricSummary => mmSummary(result.perImage, k) ?? summariseValues([]);

  const dir = join(out, 'overlays');
  await mkdir(dir, { recursive: true });
  const images = await Promise.all(test.items.map((it) => decodeImage(it.image)));
  const predictor = new Predictor(ck);
  const preds = await predictor.predict(images).finally(() => predictor.release());
  const files: string[] = [];
  for (let i = 0; i < images.length; i++) {
    const p = preds[i]!;
    if (p.task !== 'seg') throw new Error('demo: expected segmentation predictions');
    const name = `${test.items[i]!.name.replace(/\.[^.]+$/, '')}_overlay.png`;
    await writePng(join(dir, name), overlay(images[i]!, p.labels));
    files.push(join('overlays', name));
  }
  const seconds = (performance.now() - t0) / 1000;
  const summary = {
    data: relative(process.cwd(), data) || data, model, weights, epochs, imgSize: size[0], checkpoint: relative(out, ck.path),
    testImages: s.images, dice: s.dice, iou: s.iou, hd95Px: s.hd95, hd95Mm: mm('hd95Mm'), hcErrorMm: mm('hcErrorMm'),
    trainSeconds, totalSeconds: seconds, overlays: files,
  };
  await writeFileAtomic(join(out, 'summary.json'), [Buffer.from(`${JSON.stringify(summary, null, 2)}\n`)]);
  const md = [
    `# usfm demo: fetal head segmentation (HC18 subset)`, '',
    `${model} (${weights === 'none' ? 'random init' : weights}), ${head === 'atm' ? 'ATM (SegViT)' : 'UPerNet'} head, ${epochs} epochs at ${size[0]}×${size[0]} on ${summary.data}; ` +
      `${Math.round(trainSeconds)} s training, ${Math.round(seconds)} s in all.`, '',
    `| test metric (${s.images} images) | mean ± std |`, '|---|---|',
    `| Dice | ${f(s.dice)} |`, `| IoU | ${f(s.iou)} |`, `| HD95 (px at ${size[0]}×${size[0]}) | ${f(s.hd95, 1)} |`,
    `| HD95 (mm) | ${f(mm('hd95Mm'), 2)} |`, `| head circumference error (mm) | ${f(mm('hcErrorMm'), 2)} |`, '',
    ...files.map((p) => `![${p}](${p})`), '',
    'Images: HC18 (van den Heuvel et al., PLoS ONE 2018, doi:10.1371/journal.pone.0200412), CC BY 4.0.', '',
  ].join('\n');
  await writeFileAtomic(join(out, 'summary.md'), [Buffer.from(md)]);
  io.out(`\nTest set (${s.images} images): Dice ${f(s.dice)}, IoU ${f(s.iou)}, HD95 ${f(mm('hd95Mm'), 2)} mm, head circumference error ${f(mm('hcErrorMm'), 2)} mm\n` +
    `Wrote ${join(out, 'summary.md')}, ${join(out, 'summary.json')}, ${files.length} overlays in ${dir}, and the model in ${run} (${Math.round(seconds)} s)\n`);
}
