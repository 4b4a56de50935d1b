import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../checkpoint/safetensors.js';
import type { ClsItem } from '../data/datasets/cls.js';
import { scanClsDataset } from '../data/datasets/cls.js';
import type { SegItem } from '../data/datasets/seg.js';
import { scanSegDataset } from '../data/datasets/seg.js';
import type { Split } from '../data/datasets/fs_scan.js';
import type { LoadFn } from '../data/loader/loader.js';
import { BatchLoader } from '../data/loader/loader.js';
import { clsLoad, segLoad } from '../data/loader/samples.js';
import { summarise } from '../metrics/seg.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import { CONFIG_KEY } from '../models/usfm/model.js';
import type { TaskSpec } from '../train/evaluate.js';
import { evalFunction, evaluate, TASK_KEY } from '../train/evaluate.js';
import { int, parse, str } from './args.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

export const evalHelp = `usfm eval --run RUN_DIR|--weights CKPT --data ROOT [--split test|val|train] [--batch-size 8] [--json]
  Metrics of a fine-tuned model on a split: cls → accuracy, balanced accuracy, macro-F1, AUC, confusion
  matrix; seg → Dice, IoU, sensitivity, specificity, HD95 (px), mean ± std over images.`;

const f = (v: number): string => (Number.isNaN(v) ? '  n/a ' : v.toFixed(4));

export async function evalCommand(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, {
    run: { type: 'string' }, weights: { type: 'string' }, data: { type: 'string' }, split: { type: 'string' },
    'batch-size': { type: 'string' }, json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if ((values.run === undefined) === (values.weights === undefined)) throw new UsageError('give exactly one of --run RUN_DIR or --weights CKPT');
  const split = str(values.split, 'split', 'test');
  if (split !== 'train' && split !== 'val' && split !== 'test') throw new UsageError(`--split must be train, val or test, got '${split}'`);
  let weights = values.weights as string | undefined;
  if (values.run !== undefined) {
    const run = String(values.run);
    weights = [join(run, 'best.safetensors'), join(run, 'last.safetensors')].find((p) => existsSync(p));
    if (!weights) throw new Error(`${run}: no best.safetensors or last.safetensors (not a finetune run folder?)`);
  }
  const ck = await readSafetensors(weights!);
  const taskJson = ck.metadata[TASK_KEY];
  const cfgJson = ck.metadata[CONFIG_KEY];
  if (!taskJson || !cfgJson) throw new Error(`${weights}: not a fine-tuned model (no ${TASK_KEY} metadata); encoders are evaluated after usfm finetune`);
  const task = JSON.parse(taskJson) as TaskSpec;
  if (!(task.classes > 0 && task.imgSize > 0 && (task.task === 'cls' || task.segChannels > 0))) {
    throw new Error(`${weights}: incomplete ${TASK_KEY} metadata (${taskJson}); written by an older version?`);
  }
  const cfg = JSON.parse(cfgJson) as UsfmConfig;
  const data = str(values.data, 'data');
  const ds = task.task === 'cls' ? await scanClsDataset(data, split as Split) : await scanSegDataset(data, split as Split);
  if (task.task === 'cls' && task.classNames && JSON.stringify((ds as { classes: readonly string[] }).classes) !== JSON.stringify(task.classNames)) {
    throw new Error(`${data}: classes ${(ds as { classes: readonly string[] }).classes.join(', ')} differ from the model's ${task.classNames.join(', ')}`);
  }
  const load = (task.task === 'cls' ? clsLoad({ size: task.imgSize, augment: false }) : segLoad({ size: task.imgSize, augment: false })) as LoadFn<ClsItem | SegItem>;
  const loader = new BatchLoader(ds.items as readonly (ClsItem | SegItem)[], load, { batchSize: int(values['batch-size'], 'batch-size', 8) });
  const fn = evalFunction(task, cfg);
  const result = await evaluate(fn, ck.tensors, loader, task);
  await fn.release();
  if (result.task === 'cls') {
    const m = result.metrics;
    if (values.json) {
      io.out(`${JSON.stringify({ weights, split, classes: task.classNames, ...m, predictions: undefined }, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2)}\n`);
      return;
    }
    const names = task.classNames ?? Array.from({ length: task.classes }, (_, i) => String(i));
    const lines = [`${weights} on ${split} (${m.n} images)`, `accuracy ${f(m.accuracy)}  balanced accuracy ${f(m.balancedAccuracy)}  macro-F1 ${f(m.macroF1)}  macro AUC ${f(m.macroAuc)}`,
      `${'class'.padEnd(14)} support precision recall    F1      AUC`];
    names.forEach((n, i) => lines.push(`${n.padEnd(14)} ${String(m.support[i]).padStart(7)} ${f(m.precision[i]!)}    ${f(m.recall[i]!)}  ${f(m.f1[i]!)}  ${f(m.auc[i]!)}`));
    lines.push(`confusion (rows = truth): ${m.confusion.map((r) => `[${r.join(' ')}]`).join(' ')}`);
    io.out(`${lines.join('\n')}\n`);
    return;
  }
  const s = summarise(result.perImage);
  if (values.json) {
    io.out(`${JSON.stringify({ weights, split, summary: s, perImage: result.perImage }, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2)}\n`);
    return;
  }
  const row = (k: 'dice' | 'iou' | 'sensitivity' | 'specificity' | 'hd95'): string => `${k.padEnd(12)} ${f(s[k].mean)} ± ${f(s[k].std)}  (n ${s[k].n}${s[k].excluded ? `, ${s[k].excluded} undefined` : ''})`;
  io.out(`${[`${weights} on ${split} (${s.images} images)`, row('dice'), row('iou'), row('sensitivity'), row('specificity'), `${row('hd95')} px`].join('\n')}\n`);
}
