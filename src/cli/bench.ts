import { createHash } from 'node:crypto';
import type { Io } from './io.js';
import type { HostTensor } from '../core/host.js';
import { Rng } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { input } from '../core/tensor.js';
import { logSoftmax, mul, reduceMean, reduceSum } from '../ops/index.js';
import { truncNormal, zeros } from '../nn/init.js';
import { linear } from '../nn/layers.js';
import { VarBuilder } from '../nn/var_builder.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import { makeConfig } from '../models/usfm/config.js';
import { usfmEncoder } from '../models/usfm/encoder.js';
import { encoderSpecs, UsfmEncoder } from '../models/usfm/model.js';
import { atmDims, defaultAtmOutIndices } from '../models/usfm/atm.js';
import { defaultOutIndices } from '../models/usfm/upernet.js';
import { initialise } from '../nn/init.js';
import { nodeBackend } from '../runtime/node.js';
import type { SessionOptions } from '../runtime/types.js';
import { AdamW } from '../train/adamw.js';
import { dropPathMasks, dropPathRates } from '../train/drop_path.js';
import type { SegHead, TaskSpec } from '../train/evaluate.js';
import { taskForward } from '../train/evaluate.js';
import { applyLayerDecay, applyNoDecay } from '../train/param_groups.js';
import { ParamSet } from '../train/param_set.js';
import type { StepResult } from '../train/step.js';
import { TrainStep } from '../train/step.js';
import { taskLoss } from '../train/task_loss.js';
import { imgSize, int, modelName, num, parse } from './args.js';
import { UsageError } from './errors.js';

export const benchHelp = `usfm bench embed|train|seg [--model vit-b] [--img-size 224|512] [--batch 1|8|2] [--steps N] [--threads T] [--profile PREFIX] [--json]
    seg only: [--head upernet|atm] [--classes 2] [--seg-channels 0] [--drop-path 0.1]
  Median time per step (train: encoder + linear head; seg: the \`usfm finetune --task seg\` step, encoder +
  UPerNet or ATM head and its loss; both split into the forward+backward graph and AdamW) or per image
  (embed), first-step (compile) time, GFLOP/s, peak RSS. Random weights and batch; seg defaults 512, batch 2.
  --profile PREFIX writes onnxruntime's per-node profile (PREFIX_<date>.json, all runs); bench/profile_ops.mjs
  sums it by op type.`;

/** Forward FLOPs of the encoder (multiply-add = 2). */
export function encoderFlops(cfg: UsfmConfig, batch: number): number {
  const [h, w] = cfg.imgSize;
  const p = (h / cfg.patchSize) * (w / cfg.patchSize);
  const n = p + 1;
  const c = cfg.embedDim;
  const perBlock = 2 * n * c * (3 * c + c + 2 * cfg.mlpRatio * c) + 4 * n * n * c;
  return batch * (cfg.depth * perBlock + 2 * p * c * cfg.inChans * cfg.patchSize ** 2);
}

/** Forward FLOPs of a 2-D convolution (or a kernel = stride transposed one, counted per input pixel). */
const convFlops = (cin: number, cout: number, k: number, pixels: number): number => 2 * cin * cout * k * k * pixels;

export interface SegBenchOptions {
  readonly head: SegHead;
  readonly classes: number;
  /** UPerNet decoder width (0: the backbone's width, as \`usfm finetune --seg-channels 0\`). */
  readonly channels: number;
  readonly dropPath: number;
}

/**
 * Forward FLOPs of the segmentation necks and head (convolutions, linears and attention matmuls;
 * norms, resizes, pools and elementwise ops are not counted), as upernet.ts / atm.ts build them.
 */
export function segHeadFlops(cfg: UsfmConfig, o: SegBenchOptions, batch: number): number {
  const c = cfg.embedDim;
  const [gh, gw] = [cfg.imgSize[0] / cfg.patchSize, cfg.imgSize[1] / cfg.patchSize];
  const a = [16 * gh * gw, 4 * gh * gw, gh * gw, Math.floor(gh / 2) * Math.floor(gw / 2)] as const; // stride 4, 8, 16, 32
  const k = o.classes;
  const necks = convFlops(c, c, 2, a[2]) + convFlops(c, c, 2, a[1]) + convFlops(c, c, 2, a[2]); // fpn1 (two deconvs), fpn2
  if (o.head === 'atm') {
    const { embedDims: d } = atmDims(cfg, { classes: k });
    const layers = 3;
    let f = 0;
    for (const n of [a[2], a[1], a[0]]) {
      f += 2 * n * c * d; // input_proj
      const self = 2 * k * d * 3 * d + 4 * k * k * d + 2 * k * d * d;
      const cross = 4 * k * d * d + 4 * n * d * d + 4 * k * n * d;
      f += layers * (self + cross + 16 * k * d * d) + 2 * k * d * (k + 1);
    }
    return batch * (necks + f + 2 * k * k * cfg.imgSize[0] * cfg.imgSize[1]);
  }
  const ch = o.channels || c;
  const ppm = [1, 2, 3, 6].reduce((s, p) => s + convFlops(c, ch, 1, p * p), 0);
  const decode = ppm + convFlops(c + 4 * ch, ch, 3, a[3]) + convFlops(c, ch, 1, a[0] + a[1] + a[2])
    + convFlops(ch, ch, 3, a[0] + a[1] + a[2]) + convFlops(4 * ch, ch, 3, a[0]) + convFlops(ch, k, 1, a[0]);
  const aux = convFlops(c, 256, 3, a[2]) + convFlops(256, k, 1, a[2]);
  return batch * (necks + decode + aux);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function randomPixels(shape: readonly number[], seed: number): HostTensor<'float32'> {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, () => rng.normal()) };
}

const rssMB = (): number => process.resourceUsage().maxRSS / 1024;

async function benchEmbed(cfg: UsfmConfig, batch: number, steps: number, session: SessionOptions): Promise<Record<string, number | string>> {
  const enc = UsfmEncoder.random(cfg, 0);
  const model = new UsfmEncoder(cfg, enc.params, [], { backend: nodeBackend, session });
  const x = randomPixels([batch, 3, ...cfg.imgSize], 1);
  const t0 = performance.now();
  await model.embed(x);
  const first = performance.now() - t0;
  await model.embed(x);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await model.embed(x);
    times.push(performance.now() - t);
  }
  const ms = median(times);
  await model.release();
  return {
    what: 'embed', first_run_ms: first, median_ms_per_batch: ms, median_ms_per_image: ms / batch, min_ms_per_batch: Math.min(...times),
    gflops: encoderFlops(cfg, batch) / (ms / 1000) / 1e9, peak_rss_mb: rssMB(),
  };
}

async function benchTrain(cfg: UsfmConfig, batch: number, steps: number, session: SessionOptions): Promise<Record<string, number | string>> {
  const classes = 3;
  const specs = [...encoderSpecs(cfg), { name: 'head.weight', shape: [classes, cfg.embedDim], init: truncNormal(0.02), decay: true }, { name: 'head.bias', shape: [classes], init: zeros, decay: false }];
  const rng = new Rng(0);
  const ps = new ParamSet(specs, new Map(specs.map((s) => [s.name, initialise(s.shape, s.init, rng)])));
  const train = { ...cfg, dropPath: 0 };
  const step = new TrainStep(nodeBackend, ps, (vb, b) => {
    const { pooled } = usfmEncoder(vb, b.pixel_values!, train);
    const logits = linear(vb.pp('head'), pooled, cfg.embedDim, classes);
    const loss: Tensor = mul(reduceMean(reduceSum(mul(logSoftmax(logits, 1), b.onehot!), [1])), -1);
    return { loss };
  }, { session });
  const opt = new AdamW(ps, { clipNorm: 5 });
  const onehot = new Float32Array(batch * classes);
  for (let i = 0; i < batch; i++) onehot[i * classes + (i % classes)] = 1;
  const feeds = { pixel_values: randomPixels([batch, 3, ...cfg.imgSize], 1), onehot: { dtype: 'float32' as const, shape: [batch, classes], data: onehot } };
  const { first, total, graph, adam, loss } = await timeSteps(step, opt, steps, () => feeds);
  const ms = median(total);
  await step.release();
  return {
    what: 'train', first_step_ms: first, median_ms_per_step: ms, min_ms_per_step: Math.min(...total), median_fwd_bwd_ms: median(graph), median_adamw_ms: median(adam),
    params_m: ps.size / 1e6, gflops: (3 * encoderFlops(cfg, batch)) / (ms / 1000) / 1e9, peak_rss_mb: rssMB(), final_loss: loss,
  };
}

/**
 * The \`usfm finetune --task seg\` training step (finetune.ts): the same task model (taskForward), loss
 * (UPerNet: CE + softmax Dice + 0.4·aux CE; ATM: atmLoss), frozen mask_token, layer-decay (0.65) and
 * no-decay parameter groups, fresh drop-path masks every step, one TrainStep graph and AdamW (weight
 * decay 0.05, clip 5); random initialisation, random pixels and labels.
 */
async function benchSeg(base: UsfmConfig, batch: number, steps: number, session: SessionOptions, o: SegBenchOptions): Promise<Record<string, number | string>> {
  const cfg: UsfmConfig = { ...base, dropPath: o.dropPath, sharedRelPos: false };
  const [H, W] = cfg.imgSize;
  const task: TaskSpec = { task: 'seg', classes: o.classes, imgSize: H, segChannels: o.channels || cfg.embedDim, head: o.head };
  const declare = VarBuilder.declare();
  taskForward(task, cfg, declare, input('pixel_values', 'float32', ['B', 3, H, W]));
  const specs = declare.specs();
  const rng = new Rng(0);
  const ps = new ParamSet(specs, new Map(specs.map((s) => [s.name, initialise(s.shape, s.init, rng)])));
  applyLayerDecay(ps, cfg.depth, 0.65);
  applyNoDecay(ps);
  const frozen = (n: string): boolean => n === 'mask_token';
  const depth = cfg.depth;
  const step = new TrainStep(nodeBackend, ps, taskLoss(task, cfg), { frozen, session });
  const opt = new AdamW(ps, { weightDecay: 0.05, clipNorm: 5 });
  const labels = new Rng(2);
  const masks = Uint8Array.from({ length: batch * H * W }, () => labels.int(o.classes));
  const fixed = { pixel_values: randomPixels([batch, 3, H, W], 1), masks: { dtype: 'uint8' as const, shape: [batch, H, W], data: masks } };
  const rates = dropPathRates(depth, o.dropPath);
  const dpRng = new Rng(3);
  const feeds = (): Record<string, HostTensor> => ({ ...fixed, ...dropPathMasks(rates, dpRng, batch) });
  const { first, total, graph, adam, loss } = await timeSteps(step, opt, steps, feeds);
  const ms = median(total);
  await step.release();
  const weights = ps.slots.filter((s) => !s.spec.buffer);
  const params = weights.reduce((n, s) => n + s.size, 0);
  const trainable = weights.filter((s) => !frozen(s.spec.name)).reduce((n, s) => n + s.size, 0);
  // Names and shapes of the parameters, sorted (bench/torch_bench.py prints the same digest for its model).
  const lines = weights.map((s) => `${s.spec.name}:${s.spec.shape.join(',')}\n`).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const digest = createHash('sha1').update(lines.join('')).digest('hex').slice(0, 12);
  const flops = encoderFlops(cfg, batch) + segHeadFlops(cfg, o, batch);
  return {
    what: 'seg', head: o.head, classes: o.classes, channels: o.head === 'upernet' ? task.segChannels : atmDims(cfg, { classes: o.classes }).embedDims,
    taps: (o.head === 'upernet' ? defaultOutIndices(depth) : defaultAtmOutIndices(depth)).join(','), drop_path: o.dropPath,
    first_step_ms: first, median_ms_per_step: ms, min_ms_per_step: Math.min(...total), median_fwd_bwd_ms: median(graph), median_adamw_ms: median(adam),
    params, trainable_params: trainable, params_m: params / 1e6, param_digest: digest, gflop_per_step: (3 * flops) / 1e9, gflops: (3 * flops) / (ms / 1000) / 1e9,
    peak_rss_mb: rssMB(), final_loss: loss,
  };
}

/** One untimed-in-the-median first step (session creation), then `steps` timed steps: step graph and AdamW apart. */
async function timeSteps(
  step: TrainStep, opt: AdamW, steps: number, feeds: () => Record<string, HostTensor>,
): Promise<{ first: number; total: number[]; graph: number[]; adam: number[]; loss: number }> {
  const t0 = performance.now();
  let r: StepResult | undefined = await step.run(feeds());
  opt.update(r.grads, 1e-4, r.gradNorm);
  const first = performance.now() - t0;
  const total: number[] = [];
  const graph: number[] = [];
  const adam: number[] = [];
  for (let i = 0; i < steps; i++) {
    r = undefined; // drop last step's gradients before the next step allocates new ones
    const f = feeds();
    const t = performance.now();
    r = await step.run(f);
    const t1 = performance.now();
    opt.update(r.grads, 1e-4, r.gradNorm);
    const t2 = performance.now();
    total.push(t2 - t);
    graph.push(t1 - t);
    adam.push(t2 - t1);
  }
  return { first, total, graph, adam, loss: r?.loss ?? NaN };
}

export async function bench(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, {
    model: { type: 'string' }, 'img-size': { type: 'string' }, batch: { type: 'string' }, steps: { type: 'string' },
    threads: { type: 'string' }, profile: { type: 'string' }, json: { type: 'boolean' },
    head: { type: 'string' }, classes: { type: 'string' }, 'seg-channels': { type: 'string' }, 'drop-path': { type: 'string' },
  });
  const what = positionals[0];
  if (positionals.length !== 1 || (what !== 'embed' && what !== 'train' && what !== 'seg')) throw new UsageError(`usage: ${benchHelp.split('\n')[0]}`);
  const seg = what === 'seg';
  const segOnly = ['head', 'classes', 'seg-channels', 'drop-path'].find((k) => values[k] !== undefined);
  if (!seg && segOnly) throw new UsageError(`--${segOnly} is for usfm bench seg`);
  const name = modelName(values.model, 'vit-b')!;
  const cfg = makeConfig(name, { imgSize: imgSize(values['img-size']) ?? (seg ? [512, 512] : [224, 224]) });
  const batch = int(values.batch, 'batch', what === 'train' ? 8 : seg ? 2 : 1);
  const steps = int(values.steps, 'steps', what === 'embed' ? 10 : 5);
  if (values.profile === '') throw new UsageError('--profile needs a file prefix, e.g. --profile /tmp/train');
  const session: SessionOptions = {
    ...(values.threads === undefined ? {} : { threads: int(values.threads, 'threads', 1) }),
    ...(typeof values.profile === 'string' ? { profilePrefix: values.profile } : {}),
  };
  let r: Record<string, number | string>;
  if (seg) {
    const head = values.head ?? 'upernet';
    if (head !== 'upernet' && head !== 'atm') throw new UsageError(`--head must be upernet or atm, got '${String(head)}'`);
    const o: SegBenchOptions = {
      head, classes: int(values.classes, 'classes', 2, 2), channels: int(values['seg-channels'], 'seg-channels', 0, 0),
      dropPath: num(values['drop-path'], 'drop-path', 0.1, 0, 0.99),
    };
    if (o.classes > 256) throw new UsageError('--classes must be at most 256');
    if (head === 'atm' && values['seg-channels'] !== undefined) throw new UsageError('--seg-channels is for --head upernet');
    r = await benchSeg(cfg, batch, steps, session, o);
  } else {
    r = what === 'embed' ? await benchEmbed(cfg, batch, steps, session) : await benchTrain(cfg, batch, steps, session);
  }
  const result = { model: name, img_size: cfg.imgSize.join('x'), batch, steps, ...r };
  if (values.json) io.out(`${JSON.stringify(result)}\n`);
  else for (const [k, v] of Object.entries(result)) io.out(`${k.padEnd(20)} ${typeof v === 'number' ? Number(v.toFixed(3)) : v}\n`);
}
