import { readRunOptions, finetune as run } from '../train/finetune.js';
import { augmentArg, imgSize as parseSize, int, modelName, num, parse, str } from './args.js';
import { progressLog } from './progress.js';
import { RECIPES, bundledOr, defaultWeightsArg, recipeDefaults } from './weights.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

const { none, ours, official } = RECIPES;
/** A learning rate as the help writes it (1.28e-2). */
const lr = (r: { readonly lr: number }): string => r.lr.toExponential();

export const finetuneHelp = `usfm finetune --task cls|seg --data ROOT [--weights bundled|CKPT|none] [--model vit-t|vit-s|vit-b] --out RUN_DIR   |   usfm finetune --resume RUN_DIR
    [--img-size 224] [--epochs E] [--batch-size 8] [--accum-steps 1] [--lr L] [--label-ratio 1] [--seed 42]
    [--layer-decay D] [--weight-decay 0.05] [--warmup-epochs 2] [--clip 5] [--drop-path 0.1] [--val-every 1]
    [--head upernet|atm] [--classes 2] [--seg-channels C] [--augment LIST] [--class-weights none|balanced] [--loader-workers N]
  Fine-tune on the official folder layouts (cls: ROOT/{train,val,test}/CLASS/*, seg: ROOT/{training_set,val_set,test_set}/{image,mask}/*).
  Writes RUN_DIR/last.safetensors, best.safetensors (by val balanced accuracy / Dice) and metrics.jsonl.
  Ctrl-C / SIGTERM stop after the current step with a checkpoint (exit status 130 / 143); --resume RUN_DIR continues exactly.
  --head: UPerNet (PPM + FPN, FCN aux head; CE + Dice + 0.4·aux CE) or SegViT's ATM (query = class; CE + 20·focal + Dice per stage).
  --classes (seg): 2 reads binary masks (0/255); more reads class-index mask PNGs (0 … N−1) and adds mean per-class Dice.
  --class-weights balanced (cls): CE weighted by inverse class frequency of the training subset.
  --augment: 'none' or a list of hflip[=p], vflip[=p], rot90[=p], crop[=min area], jitter[=strength];
    default seg 'hflip,vflip,rot90' (official), cls 'hflip' (the official cls pipeline has none).
  --weights defaults to 'bundled' (our pretrained ViT-T, weights/README.md) for vit-t; other models need a checkpoint or none.
  --lr / --layer-decay / --epochs defaults (measured best here): seg ${lr(ours.seg)}, no layer decay, ${ours.seg.epochs} epochs with bundled or
    none; cls ${lr(ours.cls)}, layer decay ${ours.cls.layerDecay}, ${ours.cls.epochs} epochs (bundled), ${lr(none.cls)}, none, ${none.cls.epochs} epochs (none);
    with another checkpoint (e.g. the official USFM_latest.pth) the official ${lr(official.cls)} (cls) / ${lr(official.seg)} (seg) and ${official.seg.layerDecay},
    ${official.cls.epochs} (cls) / ${official.seg.epochs} (seg) epochs.
    The bundled backbone is known by content too: its file's path, or a copy of it, gets the bundled defaults, and so
    does any encoder usfm pretrain wrote (.safetensors with its training record).
  --lr is the base rate at batch 512 (scaled by batch·accum-steps/512 as the official recipe); --accum-steps K
    averages the gradients of K batches per optimizer step. --seg-channels defaults
  to the backbone width (768 for vit-b, as the official UPerNet config; 192 for vit-t).
  --loader-workers: threads that decode and augment training images ahead of the model (default: one per CPU, at
    most 4; 0 = on the main thread); the samples are the same either way, so --resume may change it.`;

export async function finetune(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, Object.fromEntries(
    ['resume', 'task', 'data', 'weights', 'model', 'out', 'img-size', 'epochs', 'batch-size', 'lr', 'label-ratio', 'seed', 'layer-decay',
      'weight-decay', 'warmup-epochs', 'clip', 'drop-path', 'val-every', 'seg-channels', 'head', 'augment', 'classes', 'accum-steps', 'class-weights', 'loader-workers'].map((k) => [k, { type: 'string' as const }]),
  ));
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const loaderWorkers = values['loader-workers'] === undefined ? {} : { loaderWorkers: int(values['loader-workers'], 'loader-workers', 0, 0) };
  if (values.resume !== undefined) {
    // --loader-workers does not change the samples, so a resumed run may load with another count.
    const others = Object.keys(values).filter((k) => k !== 'resume' && k !== 'loader-workers');
    if (others.length) throw new UsageError(`--resume takes the run's own options; drop --${others[0]}`);
    const saved = await readRunOptions(str(values.resume, 'resume'));
    await run({ ...saved, ...loaderWorkers }, progressLog(io));
    return;
  }
  const task = str(values.task, 'task');
  if (task !== 'cls' && task !== 'seg') throw new UsageError(`--task must be cls or seg, got '${task}'`);
  const model = modelName(values.model, 'vit-t')!;
  const weights = defaultWeightsArg(values.weights, model);
  const recipe = recipeDefaults(weights, task);
  const size = parseSize(values['img-size']) ?? [224, 224];
  if (size[0] !== size[1]) throw new UsageError('--img-size must be square for fine-tuning');
  const epochs = int(values.epochs, 'epochs', recipe.epochs);
  const head = str(values.head, 'head', 'upernet');
  if (head !== 'upernet' && head !== 'atm') throw new UsageError(`--head must be upernet or atm, got '${head}'`);
  if (task === 'cls' && values.head !== undefined) throw new UsageError('--head is for --task seg');
  const classWeights = str(values['class-weights'], 'class-weights', 'none');
  if (classWeights !== 'none' && classWeights !== 'balanced') throw new UsageError(`--class-weights must be none or balanced, got '${classWeights}'`);
  if (task === 'seg' && values['class-weights'] !== undefined) throw new UsageError('--class-weights is for --task cls');
  if (task === 'cls' && values.classes !== undefined) throw new UsageError('--classes is for --task seg (classification takes its classes from the folders)');
  await run({
    task,
    data: str(values.data, 'data'),
    weights: bundledOr(weights, model),
    model,
    out: str(values.out, 'out'),
    imgSize: size[0],
    epochs,
    batchSize: int(values['batch-size'], 'batch-size', 8),
    accumSteps: int(values['accum-steps'], 'accum-steps', 1),
    lr: num(values.lr, 'lr', recipe.lr, 0),
    labelRatio: num(values['label-ratio'], 'label-ratio', 1, 1e-9, 1),
    seed: int(values.seed, 'seed', 42, 0),
    // Layer-wise decay protects pretrained lower layers; from random init it would all but freeze them.
    layerDecay: num(values['layer-decay'], 'layer-decay', recipe.layerDecay, 0, 1),
    weightDecay: num(values['weight-decay'], 'weight-decay', 0.05, 0),
    warmupEpochs: num(values['warmup-epochs'], 'warmup-epochs', Math.min(2, epochs - 1), 0),
    clipNorm: num(values.clip, 'clip', 5, 0),
    dropPath: num(values['drop-path'], 'drop-path', 0.1, 0, 0.99),
    valEvery: int(values['val-every'], 'val-every', 1),
    segChannels: values['seg-channels'] === undefined ? 0 : int(values['seg-channels'], 'seg-channels', 0),
    ...(task === 'seg' ? { head, classes: int(values.classes, 'classes', 2, 2) } : { classWeights }),
    ...(values.augment === undefined ? {} : { augment: augmentArg(values.augment) }),
    ...loaderWorkers,
  }, progressLog(io));
}
