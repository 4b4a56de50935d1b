// The encoder of a pretraining run in the official USFM_latest.pth layout: a flat state dict with the
// shared `rel_pos_bias` table and its int64 index, `mask_token` and the final `norm` (188 tensors for
// ViT-B), without the SimMIM decoder.
import type { HostTensor } from '../core/host.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import { windowOf } from '../models/usfm/config.js';
import { CONFIG_KEY } from '../models/usfm/model.js';
import { relativePositionIndex } from '../models/usfm/rel_pos.js';

/** The encoder tensors of a pretraining model's parameters, plus the relative position index buffer. */
export function officialEncoderState(params: ReadonlyMap<string, HostTensor>, cfg: UsfmConfig): Map<string, HostTensor> {
  if (!cfg.sharedRelPos) throw new Error('officialEncoderState: the official layout has one shared relative position table');
  const out = new Map<string, HostTensor>();
  for (const [k, t] of params) if (!k.startsWith('decoder.')) out.set(k, t);
  const [wh, ww] = windowOf(cfg);
  const n = wh * ww + 1;
  out.set('rel_pos_bias.relative_position_index', { dtype: 'int64', shape: [n, n], data: relativePositionIndex(wh, ww) });
  return out;
}

/** Write the encoder as `.safetensors` with the config (and any provenance) in the metadata. */
export async function writeEncoderSafetensors(path: string, params: ReadonlyMap<string, HostTensor>, cfg: UsfmConfig, meta: Record<string, string> = {}): Promise<void> {
  await writeSafetensors(path, officialEncoderState(params, cfg), { ...meta, [CONFIG_KEY]: JSON.stringify(cfg) });
}
