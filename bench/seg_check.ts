/**
 * Same model, same loss: runs the `usfm bench seg` step once (drop-path 0) on random weights and a
 * random batch, writes them to a temporary safetensors file, and has bench/torch_bench.py load them
 * into its PyTorch model and compute the loss and the gradient norm; prints both sides. Small by
 * default (ViT-T, 64², batch 2, 3 classes) so it runs in seconds on a busy machine.
 *
 *     node --import tsx bench/seg_check.ts [--head upernet|atm] [--model vit-t] [--img-size 64] [--batch 2] [--classes 3]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSafetensors } from '../src/checkpoint/safetensors.js';
import type { HostTensor } from '../src/core/host.js';
import { Rng } from '../src/core/random.js';
import { input } from '../src/core/tensor.js';
import { makeConfig, isModelName } from '../src/models/usfm/config.js';
import { atmLoss } from '../src/models/usfm/atm_loss.js';
import { initialise } from '../src/nn/init.js';
import { crossEntropy, diceLoss } from '../src/nn/losses/index.js';
import { VarBuilder } from '../src/nn/var_builder.js';
import { add, cast, mul } from '../src/ops/index.js';
import { nodeBackend } from '../src/runtime/node.js';
import type { TaskSpec } from '../src/train/evaluate.js';
import { taskForward } from '../src/train/evaluate.js';
import { ParamSet } from '../src/train/param_set.js';
import { TrainStep } from '../src/train/step.js';

const { values } = parseArgs({ options: {
  head: { type: 'string', default: 'upernet' }, model: { type: 'string', default: 'vit-t' }, 'img-size': { type: 'string', default: '64' },
  batch: { type: 'string', default: '2' }, classes: { type: 'string', default: '3' },
} });
const head = values.head;
const model = values.model;
if ((head !== 'upernet' && head !== 'atm') || !isModelName(model)) throw new Error('--head upernet|atm, --model vit-b|vit-s|vit-t');
const [S, B, K] = [Number(values['img-size']), Number(values.batch), Number(values.classes)];
const cfg = { ...makeConfig(model, { imgSize: [S, S], dropPath: 0 }), sharedRelPos: false };
const task: TaskSpec = { task: 'seg', classes: K, imgSize: S, segChannels: cfg.embedDim, head };
const declare = VarBuilder.declare();
taskForward(task, cfg, declare, input('pixel_values', 'float32', ['B', 3, S, S]));
const specs = declare.specs();
const rng = new Rng(0);
const ps = new ParamSet(specs, new Map(specs.map((s) => [s.name, initialise(s.shape, s.init, rng)])));
const step = new TrainStep(nodeBackend, ps, (vb, b) => {
  const { logits, aux, atm } = taskForward(task, cfg, vb, b.pixel_values!);
  const t = cast(b.masks!, 'int64');
  if (atm) return { loss: atmLoss(atm, t) };
  return { loss: add(add(crossEntropy(logits, t), diceLoss(logits, t, { activation: 'softmax' })), mul(crossEntropy(aux!, t), 0.4)) };
}, { frozen: (n) => n === 'mask_token' });
const r = new Rng(5);
const x = Float32Array.from({ length: B * 3 * S * S }, () => r.normal());
const y = Uint8Array.from({ length: B * S * S }, () => r.int(K));
const tensors = new Map<string, HostTensor>(ps.snapshot()); // before the step writes the BatchNorm running statistics
const res = await step.run({ pixel_values: { dtype: 'float32', shape: [B, 3, S, S], data: x }, masks: { dtype: 'uint8', shape: [B, S, S], data: y } });
await step.release();
tensors.set('batch.x', { dtype: 'float32', shape: [B, 3, S, S], data: x });
tensors.set('batch.y', { dtype: 'float32', shape: [B, S, S], data: Float32Array.from(y) });
const dir = mkdtempSync(join(tmpdir(), 'usfm-seg-check-'));
try {
  const file = join(dir, 'step.safetensors');
  await writeSafetensors(file, tensors, { 'usfm.seg_check': JSON.stringify({ model, S, B, K, head }) });
  console.log(`usfm.ts  loss ${res.loss.toPrecision(7)}  grad norm ${res.gradNorm.toPrecision(7)}  (${model} ${S}² batch ${B}, ${K} classes, ${head})`);
  const blas = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
  const env = existsSync(blas) ? { ...process.env, LD_LIBRARY_PATH: blas, OPENBLAS_CORETYPE: 'SkylakeX' } : process.env;
  const args = ['bench/torch_bench.py', 'seg-check', file, '--model', model, '--img-size', String(S), '--classes', String(K), '--head', head];
  process.exitCode = spawnSync('/usr/bin/python3', args, { env, stdio: 'inherit' }).status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
