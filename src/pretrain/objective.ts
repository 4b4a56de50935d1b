/**
 * The spatial-frequency dual masked-image-modeling objective of USFM pretraining, as graph:
 * encoder on the masked input → SimMIM decoder → L = L_spa + λ·L_freq. The masks and the masked input
 * come from the host ({@link MimMasker}); the feeds are named by {@link MIM_INPUTS}.
 */
import type { Tensor } from '../core/tensor.js';
import { input } from '../core/tensor.js';
import { add, mul } from '../ops/index.js';
import type { ParamSpec } from '../nn/var_builder.js';
import { VarBuilder } from '../nn/var_builder.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import type { EncoderOptions } from '../models/usfm/encoder.js';
import { usfmEncoder } from '../models/usfm/encoder.js';
import type { LossFn } from '../nn/loss_fn.js';
import { MIM_INPUTS } from './batch.js';
import { simmimDecoder } from './decoder.js';
import { frequencyLoss, spatialLoss } from './losses.js';
import type { PretrainObjectiveOptions } from './options.js';
import { usesFrequency } from './options.js';

export interface MimLossOutputs {
  /** L_spa + λ·L_freq (scalar). */
  readonly loss: Tensor;
  readonly lSpa: Tensor;
  /** Absent when no image can take the frequency branch ({@link usesFrequency}): L_freq is then 0. */
  readonly lFreq?: Tensor;
  /** [B, C, H, W] the decoder's output, in the normalised pixel space. */
  readonly reconstruction: Tensor;
}

function need(batch: Readonly<Record<string, Tensor>>, name: string): Tensor {
  const t = batch[name];
  if (!t) throw new Error(`pretraining batch has no '${name}' (feeds come from MimMasker)`);
  return t;
}

/**
 * Build the objective. `vb` is the model root: encoder parameters as the USFM checkpoint (flat names,
 * `mask_token` included), decoder under `decoder.0`. `enc.dropPath` passes drop-path keep masks.
 */
export function mimLoss(
  vb: VarBuilder, batch: Readonly<Record<string, Tensor>>, cfg: UsfmConfig, o: PretrainObjectiveOptions, enc: Pick<EncoderOptions, 'dropPath'> = {},
): MimLossOutputs {
  const x = need(batch, MIM_INPUTS.pixels);
  const target = need(batch, MIM_INPUTS.target);
  const tokenMask = o.fill === 'token' ? need(batch, MIM_INPUTS.tokenMask) : undefined;
  const { tokens } = usfmEncoder(vb, x, cfg, { ...enc, tokenMask });
  const reconstruction = simmimDecoder(vb, tokens, cfg);
  const lSpa = spatialLoss(reconstruction, target, need(batch, MIM_INPUTS.pixelMask));
  if (!usesFrequency(o)) return { loss: lSpa, lSpa, reconstruction };
  const lFreq = frequencyLoss(reconstruction, target, need(batch, MIM_INPUTS.freqWeight), o.freqLog);
  return { loss: add(lSpa, mul(lFreq, o.freqWeight)), lSpa, lFreq, reconstruction };
}

/**
 * The objective as a {@link LossFn} for {@link TrainStep}: extra outputs `l_spa` and, when
 * {@link usesFrequency}, `l_freq`. Drop-path keep masks are read from the batch when present, as finetune
 * feeds them (`dp{i}a`, `dp{i}m`, [B,1,1]).
 */
export function mimLossFn(cfg: UsfmConfig, o: PretrainObjectiveOptions): LossFn {
  return (vb, batch) => {
    const dropPath = batch.dp0a
      ? Array.from({ length: cfg.depth }, (_, i) => ({ attn: need(batch, `dp${i}a`), mlp: need(batch, `dp${i}m`) }))
      : undefined;
    const r = mimLoss(vb, batch, cfg, o, { dropPath });
    return { loss: r.loss, extra: { l_spa: r.lSpa, ...(r.lFreq ? { l_freq: r.lFreq } : {}) } };
  };
}

/** Parameter specs of the pretraining model (encoder + decoder), declared by tracing once. */
export function mimSpecs(cfg: UsfmConfig, o: PretrainObjectiveOptions): ParamSpec[] {
  const vb = VarBuilder.declare();
  const [h, w] = cfg.imgSize;
  const p = cfg.patchSize;
  const f = (name: string, shape: (number | string)[]): Tensor => input(name, 'float32', shape);
  const batch: Record<string, Tensor> = {
    [MIM_INPUTS.pixels]: f(MIM_INPUTS.pixels, ['B', cfg.inChans, h, w]),
    [MIM_INPUTS.target]: f(MIM_INPUTS.target, ['B', cfg.inChans, h, w]),
    [MIM_INPUTS.pixelMask]: f(MIM_INPUTS.pixelMask, ['B', 1, h, w]),
    [MIM_INPUTS.freqWeight]: f(MIM_INPUTS.freqWeight, ['B', 1, 1, 1]),
    [MIM_INPUTS.tokenMask]: f(MIM_INPUTS.tokenMask, ['B', (h / p) * (w / p), 1]),
  };
  mimLoss(vb, batch, cfg, o);
  return vb.specs();
}

/**
 * Parameters to keep out of the training step: `mask_token` unless the fill is `token` (it is then
 * unused, and its gradient would be a materialised zero).
 */
export function mimFrozen(o: PretrainObjectiveOptions): (name: string) => boolean {
  return (name) => o.fill !== 'token' && name === 'mask_token';
}
