import type { PretrainObjectiveOptions, SpatialFill } from '../pretrain/options.js';
import { DEFAULT_OBJECTIVE, objectiveOptions } from '../pretrain/options.js';
import { pretrain as run, readPretrainOptions } from '../train/pretrain.js';
import { DEFAULT_VAL_IMAGES } from '../train/pretrain_heldout.js';
import { imgSize as parseSize, int, modelName, num, parse, str } from './args.js';
import { UsageError } from './errors.js';
import { progressLog } from './progress.js';
import type { Io } from './io.js';

const D = DEFAULT_OBJECTIVE;

export const pretrainHelp = `usfm pretrain --data DIR[,DIR…] --model vit-t|vit-s|vit-b --out RUN_DIR   |   usfm pretrain --resume RUN_DIR
    [--weights CKPT|none] [--img-size 224] [--epochs 100] [--batch-size 8] [--accum-steps 1] [--lr 2e-2] [--weight-decay 0.05]
    [--warmup-epochs 5] [--clip 5] [--drop-path 0.1] [--balance source|none] [--splits train|all] [--epoch-length N] [--seed 42]
    [--flips hv|h|none]
    [--grid-every 5] [--pth] [--val-data DIR[,DIR…]] [--val-images ${DEFAULT_VAL_IMAGES}]
    [--mask-ratio ${D.maskRatio}] [--mask-unit ${D.maskUnit}] [--fill token|noise|mean] [--noise-std ${D.noiseStd}]
    [--freq-ratio ${D.freqRatio}] [--base-bw ${D.baseBw}] [--increase-factor ${D.increaseFactor}] [--max-increase ${D.maxIncrease}]
    [--center-protect ${D.centerProtect}] [--outer-radius corner|inscribed] [--lambda-freq ${D.freqWeight}] [--freq-log on|off]
    [--branch SPATIAL,FREQUENCY,BOTH (probabilities, default ${D.branch.spatial},${D.branch.frequency},${D.branch.both})]
  Masked image modeling with USFM's spatial and frequency branches: each image is masked spatially (square
  units replaced by a learnt mask token, or filled with noise around its mean), in frequency (random
  band-stop rings of its centred DFT) or both, as --branch draws (default: spatial only, which fine-tuned
  best here; --branch 1,1,1 is USFM's dual objective); a SimMIM decoder reconstructs it; loss = L1 on masked
  pixels + λ·L1 between log-amplitude spectra of the frequency-branch images (--freq-log off: amplitude spectra, ≈ 100× larger at 224 px: lower
  --lambda-freq with it). Rings run out to the spectrum's corner (--outer-radius inscribed: to min(H, W)/2, as the
  official schedule, which never masks the corners).
  Each DIR is a source sampled uniformly (--balance source), scanned recursively for PNG/JPEG/BMP/TIFF/WebP and DICOM (every frame of a cine is an image)
  (val/test split folders are skipped unless --splits all; mask folders always). Writes RUN_DIR/encoder.safetensors (the official
  USFM layout: usable as --weights of finetune/embed), encoder.pth with --pth, last.safetensors (with the
  decoder), metrics.jsonl and grids/epoch-NNN.png (original | masked | reconstruction).
  --flips: random horizontal and vertical flips (hv, the default), horizontal only (h, as SimMIM: a vertical flip
  puts the probe at the bottom) or none; after a random resized crop (area 0.67–1).
  --val-data: held-out folders (e.g. the val splits; never in --data): after every epoch the objective's loss on up to
  --val-images of their images (taken in turn from each folder, whole batches; whole images, masks fixed for the run) goes to the log and
  metrics.jsonl (valLoss, valLSpa, valLFreq), to see whether the encoder still learns what carries over to new scans.
  --lr is the base rate at batch 512 (scaled by batch·accum-steps/512); the default suits short CPU runs
  (SimMIM's 1e-4 assumes 800 epochs at batch 2048). Ctrl-C / SIGTERM stop with a checkpoint (exit 130 / 143); --resume continues exactly.
  --weights starts a new run (fresh schedule) from an encoder checkpoint; given a run's last.safetensors it
  also takes the decoder, so a finished run can be pretrained further.`;

const OBJECTIVE_FLAGS = {
  'mask-ratio': 'maskRatio', 'mask-unit': 'maskUnit', 'noise-std': 'noiseStd', 'freq-ratio': 'freqRatio', 'base-bw': 'baseBw',
  'increase-factor': 'increaseFactor', 'max-increase': 'maxIncrease', 'center-protect': 'centerProtect', 'lambda-freq': 'freqWeight',
} as const satisfies Record<string, keyof PretrainObjectiveOptions>;

const FLAGS = ['resume', 'data', 'model', 'out', 'weights', 'img-size', 'epochs', 'batch-size', 'accum-steps', 'lr', 'weight-decay', 'warmup-epochs', 'clip',
  'drop-path', 'balance', 'splits', 'epoch-length', 'seed', 'grid-every', 'fill', 'branch', 'outer-radius', 'freq-log', 'val-data', 'val-images', 'flips',
  ...Object.keys(OBJECTIVE_FLAGS)];

export async function pretrainCommand(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, {
    ...Object.fromEntries(FLAGS.map((k) => [k, { type: 'string' as const }])), pth: { type: 'boolean' as const },
  });
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.resume !== undefined) {
    const others = Object.keys(values).filter((k) => k !== 'resume');
    if (others.length) throw new UsageError(`--resume takes the run's own options; drop --${others[0]}`);
    await run(await readPretrainOptions(str(values.resume, 'resume')), progressLog(io));
    return;
  }
  const objective: { -readonly [K in keyof PretrainObjectiveOptions]?: PretrainObjectiveOptions[K] } = {};
  for (const [flag, key] of Object.entries(OBJECTIVE_FLAGS)) {
    if (values[flag] !== undefined) (objective as Record<string, number>)[key] = num(values[flag], flag, 0, 0);
  }
  if (values.fill !== undefined) {
    const f = String(values.fill);
    if (f !== 'noise' && f !== 'mean' && f !== 'token') throw new UsageError(`--fill must be token, noise or mean, got '${f}'`);
    objective.fill = f as SpatialFill;
  }
  if (values['outer-radius'] !== undefined) {
    const r = String(values['outer-radius']);
    if (r !== 'corner' && r !== 'inscribed') throw new UsageError(`--outer-radius must be corner or inscribed, got '${r}'`);
    objective.outerRadius = r;
  }
  if (values['freq-log'] !== undefined) {
    const f = String(values['freq-log']);
    if (f !== 'on' && f !== 'off') throw new UsageError(`--freq-log must be on or off, got '${f}'`);
    objective.freqLog = f === 'on';
  }
  if (values.branch !== undefined) {
    const p = String(values.branch).split(',').map(Number);
    const sum = p.reduce((a, b) => a + b, 0);
    if (p.length !== 3 || p.some((v) => !(v >= 0)) || !(sum > 0)) throw new UsageError(`--branch needs three weights ≥ 0 (spatial, frequency, both), got '${String(values.branch)}'`);
    objective.branch = { spatial: p[0]! / sum, frequency: p[1]! / sum, both: p[2]! / sum };
  }
  try {
    const flags = Object.fromEntries(Object.entries(OBJECTIVE_FLAGS).map(([flag, key]) => [key, `--${flag}`])) as Partial<Record<string, string>>;
    objectiveOptions(objective, (key) => flags[key] ?? `--${key}`);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const flips = str(values.flips, 'flips', 'hv');
  if (flips !== 'hv' && flips !== 'h' && flips !== 'none') throw new UsageError(`--flips must be hv, h or none, got '${flips}'`);
  const balance = str(values.balance, 'balance', 'source');
  if (balance !== 'source' && balance !== 'none') throw new UsageError(`--balance must be source or none, got '${balance}'`);
  const splits = str(values.splits, 'splits', 'train');
  if (splits !== 'train' && splits !== 'all') throw new UsageError(`--splits must be train or all, got '${splits}'`);
  const size = parseSize(values['img-size']) ?? [224, 224];
  if (size[0] !== size[1]) throw new UsageError('--img-size must be square for pretraining');
  const epochs = int(values.epochs, 'epochs', 100);
  const weights = str(values.weights, 'weights', 'none');
  const data = str(values.data, 'data').split(',').filter((d) => d !== '');
  if (!data.length) throw new UsageError('--data needs at least one folder');
  const valData = values['val-data'] === undefined ? [] : str(values['val-data'], 'val-data').split(',').filter((d) => d !== '');
  if (values['val-data'] !== undefined && !valData.length) throw new UsageError('--val-data needs at least one folder');
  if (values['val-images'] !== undefined && !valData.length) throw new UsageError('--val-images needs --val-data');
  await run({
    data, model: modelName(values.model, 'vit-t')!, out: str(values.out, 'out'), weights: weights === 'none' ? null : weights,
    imgSize: size[0], epochs, batchSize: int(values['batch-size'], 'batch-size', 8),
    accumSteps: int(values['accum-steps'], 'accum-steps', 1), lr: num(values.lr, 'lr', 2e-2, 0),
    weightDecay: num(values['weight-decay'], 'weight-decay', 0.05, 0), warmupEpochs: num(values['warmup-epochs'], 'warmup-epochs', Math.min(5, epochs - 1), 0),
    clipNorm: num(values.clip, 'clip', 5, 0), dropPath: num(values['drop-path'], 'drop-path', 0.1, 0, 0.99), balance, splits,
    epochLength: values['epoch-length'] === undefined ? 0 : int(values['epoch-length'], 'epoch-length', 0),
    seed: int(values.seed, 'seed', 42, 0), gridEvery: values['grid-every'] === undefined ? 5 : int(values['grid-every'], 'grid-every', 0, 0),
    pth: values.pth === true, objective, flips,
    ...(valData.length ? { valData, valImages: int(values['val-images'], 'val-images', DEFAULT_VAL_IMAGES) } : {}),
  }, progressLog(io));
}
