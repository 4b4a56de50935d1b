import type { HostTensor } from '../../core/host.js';
import { Rng } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import { input } from '../../core/tensor.js';
import { truncNormal } from '../../nn/init.js';
import { initialise } from '../../nn/init.js';
import { layerNorm, linear } from '../../nn/layers.js';
import type { ParamSpec } from '../../nn/var_builder.js';
import { VarBuilder } from '../../nn/var_builder.js';
import { softmax } from '../../ops/index.js';
import { CompiledFn } from '../../runtime/compiled.js';
import { nodeBackend } from '../../runtime/node.js';
import type { Backend } from '../../runtime/types.js';
import type { UsfmConfig } from './config.js';
import type { EncoderOptions } from './encoder.js';
import { usfmEncoder } from './encoder.js';
import { loadBackbone } from './backbone.js';

/**
 * USFM's classifier (the official `use_mean_pooling` recipe): the encoder without its final norm,
 * the mean of the patch tokens, `fc_norm` (LayerNorm), then a linear `head` initialised small
 * (trunc-normal 0.02 × 0.001). Returns logits [B, classes].
 */
export function usfmClassifier(vb: VarBuilder, x: Tensor, cfg: UsfmConfig, classes: number, opts: EncoderOptions = {}): Tensor {
  const { pooled } = usfmEncoder(vb, x, cfg, { ...opts, finalNorm: false });
  const f = layerNorm(vb.pp('fc_norm'), pooled, cfg.embedDim, cfg.eps);
  return linear(vb.pp('head'), f, cfg.embedDim, classes, { init: truncNormal(0.02, 0.001) });
}

export function classifierSpecs(cfg: UsfmConfig, classes: number): ParamSpec[] {
  const vb = VarBuilder.declare();
  usfmClassifier(vb, input('pixel_values', 'float32', ['B', cfg.inChans, cfg.imgSize[0], cfg.imgSize[1]]), cfg, classes);
  return vb.specs();
}

/**
 * Classifier parameters initialised from an encoder checkpoint (official .pth or ours): the backbone
 * loads strictly; `fc_norm` and `head` are new; the pretrained final `norm` is dropped, as officially.
 * With `path` null the whole model is randomly initialised.
 */
export async function initClassifier(
  path: string | null, cfg: UsfmConfig, classes: number, seed: number,
): Promise<{ params: Map<string, HostTensor<'float32'>>; config: UsfmConfig; notes: string[] }> {
  const rng = new Rng(seed);
  // Fine-tuning uses one relative-position table per block (a shared pretrained table is copied).
  const config: UsfmConfig = { ...cfg, sharedRelPos: false };
  const notes: string[] = [];
  let loaded = new Map<string, HostTensor<'float32'>>();
  if (path) {
    const r = await loadBackbone(path, classifierSpecs(config, classes), config);
    loaded = r.tensors;
    notes.push(...r.notes, 'dropped the pretrained final norm (fc_norm is trained instead)');
  }
  const params = new Map<string, HostTensor<'float32'>>();
  for (const s of classifierSpecs(config, classes)) params.set(s.name, loaded.get(s.name) ?? initialise(s.shape, s.init, rng));
  return { params, config, notes };
}

/** Class probabilities for a normalised [B, 3, H, W] batch. */
export class ClassifierRunner {
  private readonly fn: CompiledFn;
  constructor(readonly config: UsfmConfig, readonly classes: number, private readonly params: ReadonlyMap<string, HostTensor<'float32'>>, backend: Backend = nodeBackend) {
    this.fn = new CompiledFn(backend, (ins) => ({ probs: softmax(usfmClassifier(VarBuilder.bind(ins), ins.pixel_values!, config, classes), -1) }), {
      dynamic: { pixel_values: { 0: 'B' } },
    });
  }

  async probs(pixels: HostTensor<'float32'>): Promise<HostTensor<'float32'>> {
    const r = await this.fn.run({ pixel_values: pixels, ...Object.fromEntries(this.params) });
    return r.probs as HostTensor<'float32'>;
  }

  release(): Promise<void> {
    return this.fn.release();
  }
}
