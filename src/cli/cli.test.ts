// The usfm command end to end, in-process: outputs, files written, and one-line errors with exit codes.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readSafetensors, writeSafetensors } from '../checkpoint/safetensors.js';
import { encodeNpy } from '../data/index.js';
import { main } from './main.js';
import { tempDir } from '../testing/temp_dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ckpt = join(root, 'fixtures/torch/small_shared.pth');
const img = join(root, 'samples/008_HC.png');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

const tmp = tempDir('usfm-cli-');

test('info reports format, tensors and a strict load with the key surgery done', async () => {
  const r = await run('info', ckpt);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /format: +pth/);
  assert.match(r.out, /encoder: +custom \(dim 48, depth 2, heads 3, 32x32, shared relative position table\)/);
  assert.match(r.out, /unwrapped 'encoder\.'/);
  const j = await run('info', ckpt, '--json', '--keys');
  const parsed = JSON.parse(j.out) as { tensors: number; keys: { key: string }[] };
  assert.equal(parsed.tensors, 38);
  assert.ok(parsed.keys.some((k) => k.key === 'model.encoder.blocks.1.gamma_2'));
});

test('convert writes safetensors with the config; it loads back to the same embeddings', async () => {
  const out = join(tmp, 'small.safetensors');
  assert.equal((await run('convert', ckpt, out)).code, 0);
  const f = await readSafetensors(out);
  assert.ok(JSON.parse(f.metadata['usfm.config']!).sharedRelPos);
  assert.equal(f.metadata['usfm.source'], 'small_shared.pth');
  const a = join(tmp, 'a.safetensors');
  const b = join(tmp, 'b.safetensors');
  assert.equal((await run('embed', '--weights', ckpt, '--img-size', '32', '--out', a, img)).code, 0);
  assert.equal((await run('embed', '--weights', out, '--img-size', '32', '--out', b, img)).code, 0);
  assert.deepEqual((await readSafetensors(a)).tensors.get('pooled')!.data, (await readSafetensors(b)).tensors.get('pooled')!.data);
});

test('convert --half stores float16 at half the size; embeddings stay close', async () => {
  const full = join(tmp, 'full.safetensors');
  const half = join(tmp, 'half.safetensors');
  assert.equal((await run('convert', ckpt, full)).code, 0);
  assert.equal((await run('convert', ckpt, half, '--half')).code, 0);
  const h = await readSafetensors(half);
  assert.ok([...h.tensors.values()].every((t) => t.dtype === 'float16'));
  const a = join(tmp, 'ha.safetensors');
  const b = join(tmp, 'hb.safetensors');
  assert.equal((await run('embed', '--weights', full, '--out', a, img)).code, 0);
  assert.equal((await run('embed', '--weights', half, '--out', b, img)).code, 0);
  const x = (await readSafetensors(a)).tensors.get('pooled')!.data as Float32Array;
  const y = (await readSafetensors(b)).tensors.get('pooled')!.data as Float32Array;
  const scale = Math.max(...Array.from(x, Math.abs));
  assert.ok(x.every((v, i) => Math.abs(v - y[i]!) < 1e-2 * scale), 'float16 weights change embeddings by < 1 % of their scale');
  assert.ok(x.some((v, i) => v !== y[i]), 'the half file really is rounded');
  const f = await readSafetensors(full);
  // A pretraining run's record (objective, data, epoch, step) survives conversion; a task head's does not apply.
  const record = { 'usfm.pretrain': '{"objective":{"fill":"token"}}', 'usfm.epoch': '45', 'usfm.step': '5760', 'usfm.loss': '{"loss":1.04}' };
  await writeSafetensors(join(tmp, 'run-encoder.safetensors'), f.tensors, { ...f.metadata, ...record, 'usfm.task': '{"task":"cls"}' });
  assert.equal((await run('convert', join(tmp, 'run-encoder.safetensors'), join(tmp, 'run-half.safetensors'), '--half')).code, 0);
  const kept = (await readSafetensors(join(tmp, 'run-half.safetensors'))).metadata;
  assert.deepEqual([kept['usfm.pretrain'], kept['usfm.epoch'], kept['usfm.step'], kept['usfm.loss'], kept['usfm.task']], [...Object.values(record), undefined]);
  const huge = new Map(f.tensors);
  huge.set('cls_token', { ...f.tensors.get('cls_token')!, data: new Float32Array(f.tensors.get('cls_token')!.data.length).fill(1e6) });
  await writeSafetensors(join(tmp, 'huge.safetensors'), huge, f.metadata);
  const r = await run('convert', join(tmp, 'huge.safetensors'), join(tmp, 'huge-half.safetensors'), '--half');
  assert.equal(r.code, 1);
  assert.match(r.err, /huge\.safetensors: tensor cls_token has values beyond float16's ±65504/);
  assert.ok(!existsSync(join(tmp, 'huge-half.safetensors')));
});

test('export writes a self-contained ONNX model with a symbolic batch that matches embed', async () => {
  const onnxPath = join(tmp, 'small.onnx');
  const r = await run('export', ckpt, onnxPath);
  assert.equal(r.code, 0, r.err);
  const { nodeBackend } = await import('../runtime/node.js');
  const session = await nodeBackend.createSession(readFileSync(onnxPath));
  assert.deepEqual([...session.inputNames], ['pixel_values']);
  const { loadImageTensor } = await import('../data/index.js');
  const x = await loadImageTensor(img, 32);
  const two = new Float32Array(2 * x.data.length);
  two.set(x.data, 0);
  two.set(x.data, x.data.length);
  const out = await session.run({ pixel_values: { dtype: 'float32', shape: [2, 3, 32, 32], data: two } });
  assert.deepEqual(out.pooled!.shape, [2, 48]);
  const e = join(tmp, 'ref.safetensors');
  assert.equal((await run('embed', '--weights', ckpt, '--img-size', '32', '--out', e, img)).code, 0);
  const ref = (await readSafetensors(e)).tensors.get('pooled')!.data as Float32Array;
  const got = out.pooled!.data as Float32Array;
  for (let i = 0; i < 96; i++) assert.ok(Math.abs(got[i]! - ref[i % 48]!) < 1e-5);
  await session.release();
});

test('embed takes images and .npy/.safetensors batches; batches and inputs keep their order', async () => {
  const single = join(tmp, 'single.safetensors');
  assert.equal((await run('embed', '--weights', ckpt, '--img-size', '32', '--out', single, img)).code, 0);
  const one = (await readSafetensors(single)).tensors;
  // The same image as a normalised tensor, twice, in an .npy batch; batch size 2 splits the run.
  const { loadImageTensor } = await import('../data/index.js');
  const x = await loadImageTensor(img, 32);
  const two = new Float32Array(2 * x.data.length);
  two.set(x.data, 0);
  two.set(x.data, x.data.length);
  const npy = join(tmp, 'batch.npy');
  writeFileSync(npy, encodeNpy({ dtype: 'float32', shape: [2, 3, 32, 32], data: two }));
  const st = join(tmp, 'one.safetensors');
  await writeSafetensors(st, new Map([['pixel_values', { dtype: 'float32' as const, shape: [1, 3, 32, 32], data: x.data }]]));
  const out = join(tmp, 'mixed.safetensors');
  const r = await run('embed', '--weights', ckpt, '--img-size', '32', '--batch-size', '2', '--out', out, img, npy, st);
  assert.equal(r.code, 0, r.err);
  const f = await readSafetensors(out);
  assert.deepEqual(f.tensors.get('pooled')!.shape, [4, 48]);
  assert.deepEqual(f.tensors.get('tokens')!.shape, [4, 5, 48]);
  assert.deepEqual(JSON.parse(f.metadata.inputs!), [img, `${npy}#0`, `${npy}#1`, st]);
  const p = f.tensors.get('pooled')!.data as Float32Array;
  const ref = one.get('pooled')!.data as Float32Array;
  for (let k = 0; k < 4; k++) for (let c = 0; c < 48; c++) assert.ok(Math.abs(p[k * 48 + c]! - ref[c]!) < 1e-5);
});

test('bad inputs: one line naming the file, non-zero exit, no partial output', async () => {
  const out = join(tmp, 'never.safetensors');
  const cases: [string[], RegExp][] = [
    [['info', join(tmp, 'missing.pth')], /missing\.pth: no such file/],
    [['info', join(root, 'package.json')], /package\.json: not a checkpoint/],
    [['info', join(root, 'fixtures/torch/malicious.pth')], /malicious\.pth: refused global os\.system/],
    [['embed', '--weights', ckpt, '--img-size', '32', '--out', out, join(root, 'README.md')], /README\.md: unsupported input type '\.md'/],
    [['embed', '--weights', ckpt, '--img-size', '48', '--out', out, join(tmp, 'batch.npy')], /batch\.npy: tensor has shape \[2,3,32,32\], expected \[B,3,48,48\]/],
    [['embed', '--weights', ckpt, '--out', out], /no inputs/],
    [['embed', '--weights', ckpt, '--out', join(tmp, 'no-such-dir', 'e.safetensors'), img], /no-such-dir\/e\.safetensors: cannot write \(directory .* does not exist\)/],
    [['embed', '--weights', ckpt, '--img-size', '30', '--out', out, img], /small_shared\.pth: image size 30×30 must be a positive multiple of the patch size 16/],
  ];
  const truncated = join(tmp, 'truncated.pth');
  writeFileSync(truncated, readFileSync(ckpt).subarray(0, 5000));
  cases.push([['info', truncated], /truncated\.pth: /]);
  const corrupt = join(tmp, 'corrupt.png');
  writeFileSync(corrupt, readFileSync(img).subarray(0, 400));
  cases.push([['embed', '--weights', ckpt, '--img-size', '32', '--out', out, corrupt], /corrupt\.png: cannot decode image/]);
  const wrong = join(tmp, 'wrong.pth');
  copyFileSync(join(root, 'fixtures/torch/small_perblock.pth'), wrong);
  cases.push([['embed', '--weights', wrong, '--model', 'vit-t', '--out', out, img], /wrong\.pth: .*not vit-t|wrong\.pth: relative position tables/]);
  for (const [args, pattern] of cases) {
    const r = await run(...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.err, pattern, args.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
  assert.equal(existsSync(out), false);
  assert.equal((await run('frobnicate')).code, 2);
  const v = await run('info', join(tmp, 'missing.pth'), '--verbose');
  assert.match(v.err, /\n\s+at /);
});
