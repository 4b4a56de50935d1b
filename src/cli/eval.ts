import type { ClsItem } from '../data/datasets/cls.js';
import { scanClsDataset } from '../data/datasets/cls.js';
import type { SegItem } from '../data/datasets/seg.js';
import { scanSegDataset } from '../data/datasets/seg.js';
import type { Split } from '../data/datasets/fs_scan.js';
import type { LoadFn } from '../data/loader/loader.js';
import { BatchLoader } from '../data/loader/loader.js';
import { clsLoad, segLoad, segMaskOptions } from '../data/loader/samples.js';
import type { MetricSummary, SegMetricName } from '../metrics/seg.js';
import { summarise } from '../metrics/seg.js';
import { PIXEL_TABLE, readPixelTable } from '../data/datasets/pixel_sizes.js';
import { evalFunction, evaluate, mmSummary } from '../train/evaluate.js';
import { readTaskCheckpoint, runCheckpoint } from '../train/task_checkpoint.js';
import { int, parse, str, ttaArg } from './args.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

export const evalHelp = `usfm eval --run RUN_DIR|--weights CKPT --data ROOT [--split test|val|train] [--batch-size 8] [--tta none|hflip] [--json]
  Metrics of a fine-tuned model on a split: cls → accuracy, balanced accuracy, macro-F1, AUC, confusion
  matrix; seg → Dice, IoU, sensitivity, specificity, HD95 (px), mean ± std over images; with ROOT/pixel_size_and_HC.csv
  (HC18) also HD95 in mm and the head-circumference error (mm) of an ellipse fitted to each predicted mask.
  --tta hflip: score the mean of each image's and its mirror image's class probabilities (segmentation: the
  mirrored prediction mirrored back), at twice the compute; training augments with horizontal flips. Default none.`;

const f = (v: number): string => (Number.isNaN(v) ? '  n/a ' : v.toFixed(4));

export async function evalCommand(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, {
    run: { type: 'string' }, weights: { type: 'string' }, data: { type: 'string' }, split: { type: 'string' },
    'batch-size': { type: 'string' }, tta: { type: 'string' }, json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if ((values.run === undefined) === (values.weights === undefined)) throw new UsageError('give exactly one of --run RUN_DIR or --weights CKPT');
  const split = str(values.split, 'split', 'test');
  if (split !== 'train' && split !== 'val' && split !== 'test') throw new UsageError(`--split must be train, val or test, got '${split}'`);
  const tta = ttaArg(values.tta);
  const ck = await readTaskCheckpoint(values.run !== undefined ? runCheckpoint(String(values.run)) : String(values.weights));
  const { task, cfg, path: weights } = ck;
  const data = str(values.data, 'data');
  const ds = task.task === 'cls' ? await scanClsDataset(data, split as Split) : await scanSegDataset(data, split as Split);
  if (task.task === 'cls' && task.classNames && JSON.stringify((ds as { classes: readonly string[] }).classes) !== JSON.stringify(task.classNames)) {
    throw new Error(`${data}: classes ${(ds as { classes: readonly string[] }).classes.join(', ')} differ from the model's ${task.classNames.join(', ')}`);
  }
  const load = (task.task === 'cls' ? clsLoad({ size: task.imgSize, augment: false }) : segLoad({ size: task.imgSize, augment: false, ...segMaskOptions(task.classes) })) as LoadFn<ClsItem | SegItem>;
  const loader = new BatchLoader(ds.items as readonly (ClsItem | SegItem)[], load, { batchSize: int(values['batch-size'], 'batch-size', 8) });
  const fn = evalFunction(task, cfg, { tta });
  const pixels = task.task === 'seg' ? await readPixelTable(data) : null;
  const result = await evaluate(fn, ck.tensors, loader, task, pixels);
  await fn.release();
  if (result.task === 'cls') {
    const m = result.metrics;
    if (values.json) {
      io.out(`${JSON.stringify({ weights, split, tta, classes: task.classNames, ...m, predictions: undefined }, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2)}\n`);
      return;
    }
    const names = task.classNames ?? Array.from({ length: task.classes }, (_, i) => String(i));
    const lines = [`${weights} on ${split} (${m.n} images)${tta === 'none' ? '' : ', flip TTA'}`, `accuracy ${f(m.accuracy)}  balanced accuracy ${f(m.balancedAccuracy)}  macro-F1 ${f(m.macroF1)}  macro AUC ${f(m.macroAuc)}`,
      `${'class'.padEnd(14)} support precision recall    F1      AUC`];
    names.forEach((n, i) => lines.push(`${n.padEnd(14)} ${String(m.support[i]).padStart(7)} ${f(m.precision[i]!)}    ${f(m.recall[i]!)}  ${f(m.f1[i]!)}  ${f(m.auc[i]!)}`));
    lines.push(`confusion (rows = truth): ${m.confusion.map((r) => `[${r.join(' ')}]`).join(' ')}`);
    io.out(`${lines.join('\n')}\n`);
    return;
  }
  const s = summarise(result.perImage);
  if (values.json) {
    io.out(`${JSON.stringify({ weights, split, tta, summary: s, perImage: result.perImage }, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2)}\n`);
    return;
  }
  const line = (k: string, m: MetricSummary): string => `${k.padEnd(12)} ${f(m.mean)} ± ${f(m.std)}  (n ${m.n}${m.excluded ? `, ${m.excluded} undefined` : ''})`;
  const row = (k: SegMetricName): string => line(k, s[k]);
  const lines = [`${weights} on ${split} (${s.images} images)${tta === 'none' ? '' : ', flip TTA'}`, row('dice'), row('iou'), row('sensitivity'), row('specificity'), `${row('hd95')} px`];
  const hd = mmSummary(result.perImage, 'hd95Mm');
  const hc = mmSummary(result.perImage, 'hcErrorMm');
  if (hd) lines.push(`${line('hd95', hd)} mm  (pixel sizes from ${PIXEL_TABLE})`);
  if (hc) lines.push(`${line('|ΔHC|', hc)} mm  (head circumference of the fitted ellipse vs the reference)`);
  io.out(`${lines.join('\n')}\n`);
}
