import { availableParallelism } from 'node:os';
import type { Io } from './io.js';
import type { HostTensor } from '../core/host.js';
import { Rng } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { logSoftmax, mul, reduceMean, reduceSum } from '../ops/index.js';
import { truncNormal, zeros } from '../nn/init.js';
import { linear } from '../nn/layers.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import { makeConfig } from '../models/usfm/config.js';
import { usfmEncoder } from '../models/usfm/encoder.js';
import { encoderSpecs, UsfmEncoder } from '../models/usfm/model.js';
import { initialise } from '../nn/init.js';
import { nodeBackend } from '../runtime/node.js';
import { AdamW } from '../train/adamw.js';
import { ParamSet } from '../train/param_set.js';
import type { StepResult } from '../train/step.js';
import { TrainStep } from '../train/step.js';
import { imgSize, int, modelName, parse } from './args.js';
import { UsageError } from './errors.js';

export const benchHelp = `usfm bench embed|train [--model vit-b] [--img-size 224] [--batch 1|8] [--steps N] [--threads T] [--json]
  Median time per step (train: forward+backward graph, then AdamW) or per image (embed), GFLOP/s, peak RSS.`;

/** Forward FLOPs of the encoder (multiply-add = 2). */
export function encoderFlops(cfg: UsfmConfig, batch: number): number {
  const [h, w] = cfg.imgSize;
  const p = (h / cfg.patchSize) * (w / cfg.patchSize);
  const n = p + 1;
  const c = cfg.embedDim;
  const perBlock = 2 * n * c * (3 * c + c + 2 * cfg.mlpRatio * c) + 4 * n * n * c;
  return batch * (cfg.depth * perBlock + 2 * p * c * cfg.inChans * cfg.patchSize ** 2);
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

async function benchEmbed(cfg: UsfmConfig, batch: number, steps: number, threads?: number): Promise<Record<string, number | string>> {
  const enc = UsfmEncoder.random(cfg, 0);
  const session = threads ? { threads } : undefined;
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

async function benchTrain(cfg: UsfmConfig, batch: number, steps: number, threads?: number): Promise<Record<string, number | string>> {
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
  }, threads ? { session: { threads } } : {});
  const opt = new AdamW(ps, { clipNorm: 5, threads: threads ?? availableParallelism() });
  const onehot = new Float32Array(batch * classes);
  for (let i = 0; i < batch; i++) onehot[i * classes + (i % classes)] = 1;
  const feeds = { pixel_values: randomPixels([batch, 3, ...cfg.imgSize], 1), onehot: { dtype: 'float32' as const, shape: [batch, classes], data: onehot } };
  const t0 = performance.now();
  let r: StepResult | undefined = await step.run(feeds);
  await opt.update(r.grads, 1e-4, r.gradNorm);
  const first = performance.now() - t0;
  const total: number[] = [];
  const graph: number[] = [];
  const adam: number[] = [];
  for (let i = 0; i < steps; i++) {
    r = undefined; // drop last step's gradients before the next step allocates new ones
    const t = performance.now();
    r = await step.run(feeds);
    const t1 = performance.now();
    await opt.update(r.grads, 1e-4, r.gradNorm);
    const t2 = performance.now();
    total.push(t2 - t);
    graph.push(t1 - t);
    adam.push(t2 - t1);
  }
  const ms = median(total);
  await step.release();
  await opt.close();
  return {
    what: 'train', first_step_ms: first, median_ms_per_step: ms, min_ms_per_step: Math.min(...total), median_fwd_bwd_ms: median(graph), median_adamw_ms: median(adam),
    params_m: ps.size / 1e6, gflops: (3 * encoderFlops(cfg, batch)) / (ms / 1000) / 1e9, peak_rss_mb: rssMB(), final_loss: r?.loss ?? NaN,
  };
}

export async function bench(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, {
    model: { type: 'string' }, 'img-size': { type: 'string' }, batch: { type: 'string' }, steps: { type: 'string' },
    threads: { type: 'string' }, json: { type: 'boolean' },
  });
  const what = positionals[0];
  if (positionals.length !== 1 || (what !== 'embed' && what !== 'train')) throw new UsageError(`usage: ${benchHelp.split('\n')[0]}`);
  const name = modelName(values.model, 'vit-b')!;
  const cfg = makeConfig(name, { imgSize: imgSize(values['img-size']) ?? [224, 224] });
  const batch = int(values.batch, 'batch', what === 'train' ? 8 : 1);
  const steps = int(values.steps, 'steps', what === 'train' ? 5 : 10);
  const threads = values.threads === undefined ? undefined : int(values.threads, 'threads', 1);
  const r = what === 'embed' ? await benchEmbed(cfg, batch, steps, threads) : await benchTrain(cfg, batch, steps, threads);
  const result = { model: name, img_size: cfg.imgSize.join('x'), batch, steps, ...r };
  if (values.json) io.out(`${JSON.stringify(result)}\n`);
  else for (const [k, v] of Object.entries(result)) io.out(`${k.padEnd(20)} ${typeof v === 'number' ? Number(v.toFixed(3)) : v}\n`);
}
