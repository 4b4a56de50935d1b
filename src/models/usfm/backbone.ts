import type { HostTensor } from '../../core/host.js';
import { readCheckpoint } from '../../checkpoint/open.js';
import type { ParamSpec } from '../../nn/var_builder.js';
import { usfmCheckpointFilter } from './checkpoint_filter.js';
import type { UsfmConfig } from './config.js';
import { windowOf } from './config.js';
import { detectConfig, encoderSpecs } from './model.js';

/**
 * Load a USFM encoder checkpoint as the backbone of a task model whose parameters are `specs`:
 * encoder parameters load strictly, the task's own parameters may be absent, and the pretrained
 * final norm (unless `keepFinalNorm`, to continue pretraining) and any pretraining decoder are dropped
 * (plus whatever `ignore` names).
 */
export async function loadBackbone(
  path: string, specs: readonly ParamSpec[], cfg: UsfmConfig, ignore: (key: string) => boolean = () => false,
  opts: { keepFinalNorm?: boolean } = {},
): Promise<{ tensors: Map<string, HostTensor<'float32'>>; notes: string[] }> {
  const ck = await readCheckpoint(path);
  const { sourceWindow, ...base } = detectConfig(ck.tensors, ck.metadata, path, cfg.imgSize);
  if (base.embedDim !== cfg.embedDim || base.depth !== cfg.depth || base.heads !== cfg.heads) {
    throw new Error(`${path}: checkpoint is ${base.embedDim}/${base.depth}/${base.heads} (dim/depth/heads), the model ${cfg.embedDim}/${cfg.depth}/${cfg.heads}`);
  }
  const encoderNames = new Set(encoderSpecs(cfg).map((s) => s.name));
  const r = usfmCheckpointFilter(ck.tensors, specs, {
    file: path,
    sourceWindow,
    targetWindow: windowOf(cfg),
    allowMissing: (k) => !encoderNames.has(k),
    ignore: (k) => (!opts.keepFinalNorm && k.startsWith('norm.')) || k.startsWith('decoder.') || ignore(k),
  });
  return { tensors: r.tensors, notes: r.notes };
}
