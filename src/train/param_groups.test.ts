import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../core/host.js';
import { numel } from '../core/host.js';
import { zeros } from '../nn/init.js';
import type { ParamSpec } from '../nn/var_builder.js';
import { applyLayerDecay, applyNoDecay, isNoDecay, layerId } from './param_groups.js';
import { ParamSet } from './param_set.js';

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

/** Shapes of a (tiny-width) USFM encoder + head; decay flags as VarBuilder's default rule declares them. */
const SHAPES: readonly (readonly [string, readonly number[]])[] = [
  ['cls_token', [1, 1, 8]],
  ['mask_token', [1, 1, 8]],
  ['pos_embed', [1, 5, 8]],
  ['patch_embed.proj.weight', [8, 3, 2, 2]],
  ['patch_embed.proj.bias', [8]],
  ['rel_pos_bias.relative_position_bias_table', [10, 2]],
  ['blocks.0.gamma_1', [8]],
  ['blocks.0.norm1.weight', [8]],
  ['blocks.0.attn.qkv.weight', [24, 8]],
  ['blocks.0.attn.q_bias', [8]],
  ['blocks.0.attn.relative_position_bias_table', [10, 2]],
  ['blocks.5.mlp.fc1.weight', [16, 8]],
  ['blocks.11.mlp.fc2.weight', [8, 16]],
  ['blocks.11.mlp.fc2.bias', [8]],
  ['norm.weight', [8]],
  ['fc_norm.weight', [8]],
  ['head.weight', [4, 8]],
  ['head.bias', [4]],
];

function paramSet(shapes: readonly (readonly [string, readonly number[]])[] = SHAPES): ParamSet {
  const specs: ParamSpec[] = shapes.map(([name, shape]) => ({ name, shape, init: zeros, decay: shape.length > 1 && !name.endsWith('bias') }));
  const values = new Map<string, HostTensor<'float32'>>(specs.map((s) => [s.name, { dtype: 'float32', shape: s.shape, data: new Float32Array(numel(s.shape)) }]));
  return new ParamSet(specs, values);
}

test('layerId follows BEiT get_num_layer_for_vit (num_max_layer = depth + 2)', () => {
  const ids: Record<string, number> = {
    'cls_token': 0,
    'mask_token': 0,
    'pos_embed': 0,
    'patch_embed.proj.weight': 0,
    'patch_embed.proj.bias': 0,
    'rel_pos_bias.relative_position_bias_table': 13,
    'blocks.0.attn.qkv.weight': 1,
    'blocks.0.attn.relative_position_bias_table': 1,
    'blocks.5.mlp.fc1.weight': 6,
    'blocks.11.mlp.fc2.bias': 12,
    'norm.weight': 13,
    'fc_norm.weight': 13,
    'head.weight': 13,
    'decode_head.conv_seg.weight': 13,
  };
  for (const [name, id] of Object.entries(ids)) assert.equal(layerId(name, 12), id, name);
});

test('layerId matches whole path components and rejects bad block indices or depth', () => {
  assert.equal(layerId('patch_embedding.weight', 12), 13);
  assert.equal(layerId('cls_token_extra', 12), 13);
  assert.throws(() => layerId('blocks.12.attn.qkv.weight', 12), /block 12, but depth is 12/);
  assert.throws(() => layerId('blocks.x.norm1.weight', 12), /cannot read a block index/);
  assert.throws(() => layerId('blocks', 12), /cannot read a block index/);
  assert.throws(() => layerId('norm.weight', 0), /depth must be a positive integer/);
});

test('applyLayerDecay sets lrScale = decay^(depth + 1 − id)', () => {
  const ps = paramSet();
  const entries = applyLayerDecay(ps, 12, 0.65);
  assert.equal(entries.length, ps.slots.length);
  close(ps.slot('cls_token').lrScale, 0.65 ** 13);
  close(ps.slot('patch_embed.proj.weight').lrScale, 0.65 ** 13);
  close(ps.slot('blocks.0.attn.qkv.weight').lrScale, 0.65 ** 12);
  close(ps.slot('blocks.5.mlp.fc1.weight').lrScale, 0.65 ** 7);
  close(ps.slot('blocks.11.mlp.fc2.bias').lrScale, 0.65);
  for (const n of ['rel_pos_bias.relative_position_bias_table', 'norm.weight', 'fc_norm.weight', 'head.weight']) assert.equal(ps.slot(n).lrScale, 1, n);
  const e = entries.find((x) => x.name === 'blocks.5.mlp.fc1.weight')!;
  assert.deepEqual({ id: e.layerId, head: e.head }, { id: 6, head: false });
  close(e.lrScale, 0.65 ** 7);
});

test('applyLayerDecay headLrScale multiplies head parameters only, on top of the layer scale', () => {
  const ps = paramSet();
  const entries = applyLayerDecay(ps, 12, 0.75, { headLrScale: 10 });
  assert.equal(ps.slot('head.weight').lrScale, 10);
  assert.equal(ps.slot('head.bias').lrScale, 10);
  assert.equal(ps.slot('norm.weight').lrScale, 1);
  close(ps.slot('blocks.0.attn.qkv.weight').lrScale, 0.75 ** 12);
  assert.deepEqual(entries.filter((x) => x.head).map((x) => x.name), ['head.weight', 'head.bias']);
  // Custom prefixes: only 'norm.' counts as head now.
  applyLayerDecay(ps, 12, 0.75, { headLrScale: 3, headPrefixes: ['norm.'] });
  assert.equal(ps.slot('norm.weight').lrScale, 3);
  assert.equal(ps.slot('head.weight').lrScale, 1);
});

test('applyLayerDecay with stripPrefix classifies a backbone inside a segmentation model; decode_head is a head', () => {
  const ps = paramSet([
    ['backbone.cls_token', [1, 1, 8]],
    ['backbone.patch_embed.proj.weight', [8, 3, 2, 2]],
    ['backbone.blocks.1.attn.proj.weight', [8, 8]],
    ['decode_head.conv_seg.weight', [2, 8, 1, 1]],
  ]);
  applyLayerDecay(ps, 2, 0.9, { stripPrefix: 'backbone.', headLrScale: 5 });
  close(ps.slot('backbone.cls_token').lrScale, 0.9 ** 3);
  close(ps.slot('backbone.patch_embed.proj.weight').lrScale, 0.9 ** 3);
  close(ps.slot('backbone.blocks.1.attn.proj.weight').lrScale, 0.9);
  assert.equal(ps.slot('decode_head.conv_seg.weight').lrScale, 5);
});

test('applyLayerDecay rejects a bad decay, headLrScale or too small a depth', () => {
  const ps = paramSet();
  assert.throws(() => applyLayerDecay(ps, 12, 0), /decay must be a positive number/);
  assert.throws(() => applyLayerDecay(ps, 12, 0.65, { headLrScale: Number.NaN }), /headLrScale/);
  assert.throws(() => applyLayerDecay(ps, 11, 0.65), /block 11, but depth is 11/);
});

test('applyNoDecay: 1-D params, biases, tokens and pos_embed off; 2-D relative tables stay decayed by default', () => {
  const ps = paramSet();
  // cls_token/mask_token/pos_embed are 3-D: the VarBuilder default would decay them.
  assert.equal(ps.slot('cls_token').decay, true);
  const off = applyNoDecay(ps);
  const expectOff = [
    'cls_token', 'mask_token', 'pos_embed', 'patch_embed.proj.bias', 'blocks.0.gamma_1', 'blocks.0.norm1.weight',
    'blocks.0.attn.q_bias', 'blocks.11.mlp.fc2.bias', 'norm.weight', 'fc_norm.weight', 'head.bias',
  ];
  assert.deepEqual(off, expectOff);
  for (const s of ps.slots) assert.equal(s.decay, !expectOff.includes(s.spec.name), s.spec.name);
  for (const n of ['rel_pos_bias.relative_position_bias_table', 'blocks.0.attn.relative_position_bias_table', 'patch_embed.proj.weight', 'head.weight']) {
    assert.equal(ps.slot(n).decay, true, n);
  }
});

test('applyNoDecay options: excludeRelPos, keep pos_embed, extra names; it never turns decay on', () => {
  const ps = paramSet();
  ps.slot('blocks.5.mlp.fc1.weight').decay = false; // declared off by the model: stays off
  const off = applyNoDecay(ps, ['head.weight'], { excludeRelPos: true, excludePosEmbed: false });
  assert.equal(ps.slot('rel_pos_bias.relative_position_bias_table').decay, false);
  assert.equal(ps.slot('blocks.0.attn.relative_position_bias_table').decay, false);
  assert.equal(ps.slot('pos_embed').decay, true);
  assert.equal(ps.slot('head.weight').decay, false);
  assert.equal(ps.slot('blocks.5.mlp.fc1.weight').decay, false);
  assert.ok(off.includes('blocks.5.mlp.fc1.weight'));
  assert.equal(ps.slot('blocks.0.attn.qkv.weight').decay, true);
});

test('isNoDecay skip-list entries match whole trailing path components', () => {
  assert.equal(isNoDecay('backbone.cls_token', [1, 1, 8]), true);
  assert.equal(isNoDecay('my_cls_token', [1, 1, 8]), false);
  assert.equal(isNoDecay('bias', [4, 4]), true);
  assert.equal(isNoDecay('proj.weight', [4, 4]), false);
  assert.equal(isNoDecay('proj.weight', [4]), true);
  assert.equal(isNoDecay('x.scale', []), true);
});
