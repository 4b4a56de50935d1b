import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../../core/host.js';
import { floatToHalf } from '../../core/host.js';
import { Rng } from '../../core/random.js';
import { initialise, truncNormal } from '../../nn/init.js';
import { usfmCheckpointFilter } from './checkpoint_filter.js';
import { makeConfig, windowOf } from './config.js';
import { encoderSpecs } from './model.js';
import { relativePositionIndex, tableRows } from './rel_pos.js';

const cfg = makeConfig('vit-t', { depth: 2, embedDim: 24, heads: 2, imgSize: [32, 32] });

function sharedCheckpoint(): Map<string, HostTensor> {
  const rng = new Rng(1);
  const m = new Map<string, HostTensor>();
  for (const s of encoderSpecs({ ...cfg, sharedRelPos: true })) m.set(`model.encoder.${s.name}`, initialise(s.shape, truncNormal(0.5), rng));
  m.set('model.encoder.rel_pos_bias.relative_position_index', { dtype: 'int64', shape: [25], data: relativePositionIndex(2, 2) });
  m.set('model.decoder.0.weight', initialise([4, 4], truncNormal(1), rng));
  return m;
}

test('filter unwraps model./encoder., drops index buffers, copies the shared table into each block', () => {
  const specs = encoderSpecs(cfg);
  const r = usfmCheckpointFilter(sharedCheckpoint(), specs, { file: 'x.pth', targetWindow: windowOf(cfg) });
  assert.equal(r.tensors.size, specs.length);
  const shared = sharedCheckpoint().get('model.encoder.rel_pos_bias.relative_position_bias_table')!;
  assert.deepEqual(r.tensors.get('blocks.1.attn.relative_position_bias_table')!.data, shared.data);
  assert.ok(r.notes.some((n) => /copied the shared/.test(n)));
  assert.ok(r.notes.some((n) => /ignored 1 keys outside it \(e\.g\. decoder/.test(n)));
});

test('filter resizes tables to a larger input and converts fp16 to fp32', () => {
  const big = { ...cfg, imgSize: [64, 48] as [number, number] };
  const ck = sharedCheckpoint();
  const half = Uint16Array.from([0.5, -2, 1.25, 0, 3, 0.125, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], floatToHalf);
  ck.set('model.encoder.norm.bias', { dtype: 'float16', shape: [24], data: half });
  const r = usfmCheckpointFilter(ck, encoderSpecs(big), { file: 'x.pth', targetWindow: windowOf(big) });
  assert.deepEqual(r.tensors.get('blocks.0.attn.relative_position_bias_table')!.shape, [tableRows(4, 3), 2]);
  const nb = r.tensors.get('norm.bias')!;
  assert.equal(nb.dtype, 'float32');
  assert.deepEqual(Array.from(nb.data.slice(0, 6)), [0.5, -2, 1.25, 0, 3, 0.125]);
  assert.ok(r.notes.some((n) => /resized relative position tables 2×2 → 4×3/.test(n)));
});

test('filter is strict: missing, unexpected and mis-shaped keys are named', () => {
  const specs = encoderSpecs(cfg);
  const ck = sharedCheckpoint();
  ck.delete('model.encoder.blocks.1.gamma_2');
  ck.set('model.encoder.blocks.0.extra', initialise([2], truncNormal(1), new Rng(2)));
  ck.set('model.encoder.norm.weight', initialise([25], truncNormal(1), new Rng(2)));
  assert.throws(
    () => usfmCheckpointFilter(ck, specs, { file: 'bad.pth', targetWindow: windowOf(cfg) }),
    (e: Error) => /^bad\.pth: /.test(e.message) && /missing 1 key\(s\): blocks\.1\.gamma_2/.test(e.message)
      && /unexpected 1 key\(s\): blocks\.0\.extra/.test(e.message) && /norm\.weight: checkpoint \[25\] vs model \[24\]/.test(e.message),
  );
  const ok = usfmCheckpointFilter(sharedCheckpoint(), [...specs, { name: 'head.weight', shape: [3, 24], init: truncNormal(0.02), decay: true }], {
    file: 'x.pth', targetWindow: windowOf(cfg), allowMissing: (k) => k.startsWith('head.'),
  });
  assert.deepEqual(ok.missing, ['head.weight']);
});

test('filter resizes by window, not row count: a 3×2 table loaded for a 2×3 window is resampled', () => {
  const src = { ...cfg, imgSize: [48, 32] as [number, number] };
  const dst = { ...cfg, imgSize: [32, 48] as [number, number] };
  const rng = new Rng(3);
  const ck = new Map<string, HostTensor>(encoderSpecs(src).map((s) => [s.name, initialise(s.shape, truncNormal(0.5), rng)]));
  const table = ck.get('blocks.0.attn.relative_position_bias_table')!;
  assert.equal(tableRows(3, 2), tableRows(2, 3));
  const r = usfmCheckpointFilter(ck, encoderSpecs(dst), { file: 'x.safetensors', sourceWindow: [3, 2], targetWindow: [2, 3] });
  assert.ok(r.notes.some((n) => /resized relative position tables 3×2 → 2×3/.test(n)));
  assert.notDeepEqual(r.tensors.get('blocks.0.attn.relative_position_bias_table')!.data, table.data);
  const same = usfmCheckpointFilter(ck, encoderSpecs(src), { file: 'x.safetensors', sourceWindow: [3, 2], targetWindow: [3, 2] });
  assert.deepEqual(same.tensors.get('blocks.0.attn.relative_position_bias_table')!.data, table.data);
});
