// loadBackbone: a fine-tuned checkpoint's task head is never reused by a new fine-tuning run.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { HostTensor } from '../../core/host.js';
import { Rng } from '../../core/random.js';
import { writeSafetensors } from '../../checkpoint/safetensors.js';
import { initialise } from '../../nn/init.js';
import type { ParamSpec } from '../../nn/var_builder.js';
import { tempDir } from '../../testing/temp_dir.js';
import { loadBackbone } from './backbone.js';
import { makeConfig } from './config.js';
import { CONFIG_KEY, encoderSpecs } from './model.js';

const tmp = tempDir('usfm-backbone-');

describe('loadBackbone', () => {
  const cfg = { ...makeConfig('vit-t', { imgSize: [32, 32] }), sharedRelPos: false };
  // A task model: the encoder without its final norm, plus a head whose parameters a fine-tuned checkpoint has too.
  const head: ParamSpec[] = [
    { name: 'fpn1.0.weight', shape: [192, 192, 2, 2], init: { kind: 'zeros' }, decay: true },
    { name: 'decode_head.conv_seg.weight', shape: [2, 8, 1, 1], init: { kind: 'zeros' }, decay: true },
  ];
  const specs = [...encoderSpecs(cfg).filter((s) => !s.name.startsWith('norm.')), ...head];

  it('drops a fine-tuned checkpoint\'s head with dropTaskHead, naming it; the encoder loads', async () => {
    const rng = new Rng(1);
    const tensors = new Map<string, HostTensor>(specs.map((s) => [s.name, initialise(s.shape, { kind: 'normal', std: 0.02 }, rng)]));
    const path = join(tmp, 'finetuned.safetensors');
    await writeSafetensors(path, tensors, { [CONFIG_KEY]: JSON.stringify(cfg) });
    const fresh = await loadBackbone(path, specs, cfg, () => false, { dropTaskHead: true });
    assert.ok(!fresh.tensors.has('fpn1.0.weight') && !fresh.tensors.has('decode_head.conv_seg.weight'));
    assert.deepEqual(fresh.tensors.get('blocks.1.attn.q_bias')!.data, tensors.get('blocks.1.attn.q_bias')!.data);
    assert.ok(fresh.notes.includes("dropped the checkpoint's task head (2 tensors: fpn1, decode_head); the new head starts from random init"), fresh.notes.join('; '));
    // Without it, a head that fits loads (what pretraining-side callers rely on for their own parameters).
    const reused = await loadBackbone(path, specs, cfg);
    assert.deepEqual(reused.tensors.get('decode_head.conv_seg.weight')!.data, tensors.get('decode_head.conv_seg.weight')!.data);
  });
});
