import type { HostTensor } from '../../core/host.js';
import { readCheckpoint } from '../../checkpoint/open.js';
import type { ParamSpec } from '../../nn/var_builder.js';
import { unwrapKeys, usfmCheckpointFilter } from './checkpoint_filter.js';
import type { UsfmConfig } from './config.js';
import { windowOf } from './config.js';
import { detectConfig, encoderSpecs } from './model.js';

/**
 * Load a USFM encoder checkpoint as the backbone of a task model whose parameters are `specs`:
 * encoder parameters load strictly, the task's own parameters may be absent, and the pretrained
 * final norm (unless `keepFinalNorm`, to continue pretraining) and any pretraining decoder are dropped
 * (plus whatever `ignore` names). With `keepDecoder` (continuing pretraining), a `decoder.*` set that
 * matches the model's decoder exactly (names and shapes) loads too; any other is dropped with a note.
 * With `dropTaskHead` (fine-tuning a new head) every tensor that is not an encoder parameter — a fine-tuned
 * checkpoint's necks, decode/auxiliary heads, classifier — is dropped with a note, never reused.
 */
export async function loadBackbone(
  path: string, specs: readonly ParamSpec[], cfg: UsfmConfig, ignore: (key: string) => boolean = () => false,
  opts: { keepFinalNorm?: boolean; keepDecoder?: boolean; dropTaskHead?: boolean } = {},
): Promise<{ tensors: Map<string, HostTensor<'float32'>>; notes: string[] }> {
  const ck = await readCheckpoint(path);
  const { sourceWindow, ...base } = detectConfig(ck.tensors, ck.metadata, path, cfg.imgSize);
  if (base.embedDim !== cfg.embedDim || base.depth !== cfg.depth || base.heads !== cfg.heads) {
    throw new Error(`${path}: checkpoint is ${base.embedDim}/${base.depth}/${base.heads} (dim/depth/heads), the model ${cfg.embedDim}/${cfg.depth}/${cfg.heads}`);
  }
  const encoderNames = new Set(encoderSpecs(cfg).map((s) => s.name));
  const notes: string[] = [];
  const decoder = opts.keepDecoder ? decoderFits(ck.tensors, specs, notes) : false;
  const taskHead: string[] = [];
  const r = usfmCheckpointFilter(ck.tensors, specs, {
    file: path,
    sourceWindow,
    targetWindow: windowOf(cfg),
    allowMissing: (k) => !encoderNames.has(k),
    ignore: (k) => {
      if ((!opts.keepFinalNorm && k.startsWith('norm.')) || (!decoder && k.startsWith('decoder.')) || ignore(k)) return true;
      const head = opts.dropTaskHead === true && !isEncoderKey(k);
      if (head) taskHead.push(k);
      return head;
    },
  });
  if (taskHead.length) notes.push(`dropped the checkpoint's task head (${taskHead.length} tensors: ${[...new Set(taskHead.map((k) => k.split('.')[0]!))].join(', ')}); the new head starts from random init`);
  return { tensors: r.tensors, notes: [...r.notes, ...notes] };
}

/** Names of the encoder's parameters (any layout; an unexpected one among them is still an error), the final norm and the pretraining decoder. */
const ENCODER_KEY = /^(cls_token|mask_token|pos_embed|patch_embed\.|blocks\.\d+\.|rel_pos_bias\.|norm\.|decoder\.)/;

function isEncoderKey(k: string): boolean {
  return ENCODER_KEY.test(k);
}

/** Whether the checkpoint's `decoder.*` tensors are exactly the model's decoder; says why not in `notes`. */
function decoderFits(tensors: ReadonlyMap<string, HostTensor>, specs: readonly ParamSpec[], notes: string[]): boolean {
  const have = new Map([...unwrapKeys(tensors, []).entries()].filter(([k]) => k.startsWith('decoder.')));
  const want = specs.filter((s) => s.name.startsWith('decoder.'));
  if (!have.size) {
    if (want.length) notes.push('no pretraining decoder in the checkpoint: the decoder starts from random init');
    return false;
  }
  const wantNames = new Set(want.map((s) => s.name));
  const misfit = [
    ...want.filter((s) => { const t = have.get(s.name); return !t || t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i]); }).map((s) => s.name),
    ...[...have.keys()].filter((k) => !wantNames.has(k)),
  ][0];
  if (misfit !== undefined) {
    notes.push(`the checkpoint's decoder does not fit this model (${misfit}): dropped, the decoder starts from random init`);
    return false;
  }
  notes.push(`pretraining decoder loaded (${want.length} tensors)`);
  return true;
}
