// Opt-in (npm run test:full): a full-size ViT-B .pth laid out like USFM_latest.pth, against PyTorch.
// Generate it first: /usr/bin/python3 fixtures/torch/gen_full.py  (writes fixtures/local/, ~343 MB)
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HostTensor } from '../../core/host.js';
import { readSafetensors } from '../../checkpoint/safetensors.js';
import { loadUsfm } from './model.js';
import { maxAbsDiff } from '../../testing/gradcheck.js';

const dir = fileURLToPath(new URL('../../../fixtures/local/', import.meta.url));

test('full ViT-B checkpoint (188 keys, shared table) loads strictly and matches PyTorch at 224', async () => {
  const pth = `${dir}usfm_random_vitb.pth`;
  assert.ok(existsSync(pth), `${pth} is missing: run /usr/bin/python3 fixtures/torch/gen_full.py first`);
  const golden = await readSafetensors(`${dir}usfm_random_vitb.golden.safetensors`);
  const t0 = performance.now();
  const enc = await loadUsfm(pth, { imgSize: 224, model: 'vit-b' });
  const loaded = performance.now() - t0;
  const out = await enc.embed(golden.tensors.get('pixel_values') as HostTensor<'float32'>);
  const total = performance.now() - t0;
  const dt = maxAbsDiff(out.tokens, golden.tensors.get('tokens')!);
  const dp = maxAbsDiff(out.pooled, golden.tensors.get('pooled')!);
  console.log(`load ${loaded.toFixed(0)} ms, load+first embed ${total.toFixed(0)} ms, max|Δtokens| ${dt.toExponential(2)}, max|Δpooled| ${dp.toExponential(2)}`);
  assert.ok(dt <= 1e-4 && dp <= 1e-4);
  assert.equal(enc.params.size, 187); // 188 keys minus the recomputed index buffer
  await enc.release();
});
