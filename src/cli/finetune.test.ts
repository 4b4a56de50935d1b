// `usfm finetune` end to end on a small generated dataset in the official classification layout.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { Rng } from '../core/random.js';
import { readSafetensors } from '../checkpoint/safetensors.js';
import { DEMO_DATA } from './demo.js';
import { main } from './main.js';
import { tempDir } from '../testing/temp_dir.js';

async function makeCls(root: string): Promise<void> {
  const rng = new Rng(1);
  for (const [split, n] of [['train', 8], ['val', 4]] as const) {
    for (const cls of ['bright', 'dark']) {
      mkdirSync(join(root, split, cls), { recursive: true });
      for (let i = 0; i < n; i++) {
        const px = Uint8Array.from({ length: 48 * 48 }, () => Math.max(0, Math.min(255, (cls === 'bright' ? 170 : 85) + 40 * rng.normal())));
        await sharp(px, { raw: { width: 48, height: 48, channels: 1 } }).png().toFile(join(root, split, cls, `${i}.png`));
      }
    }
  }
}

test('finetune --task cls writes last/best checkpoints and one metrics line per epoch; bad data is one line', async () => {
  const tmp = tempDir('usfm-ft-');
  const data = join(tmp, 'data');
  await makeCls(data);
  writeFileSync(join(data, 'train', 'bright', 'readme.txt'), 'not an image');
  const out = join(tmp, 'run');
  let err = '';
  const io = { out: (): void => undefined, err: (t: string): void => { err += t; } };
  const code = await main(['finetune', '--task', 'cls', '--data', relative(process.cwd(), data), '--weights', 'none', '--model', 'vit-t', '--img-size', '32',
    '--epochs', '2', '--batch-size', '4', '--lr', '0.05', '--out', out], io);
  assert.equal(code, 0, err);
  // Recorded absolute, so --resume works from any directory.
  assert.equal((JSON.parse(readFileSync(join(out, 'options.json'), 'utf8')) as { data: string }).data, data);
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; val: { balancedAccuracy: number }; denormals: string });
  assert.deepEqual(lines.map((l) => l.epoch), [1, 2]);
  // Each epoch records how it computed denormals (tests run in a process that keeps IEEE ones).
  assert.deepEqual(lines.map((l) => l.denormals), ['ieee', 'ieee']);
  assert.ok(lines.every((l) => l.val.balancedAccuracy >= 0 && l.val.balancedAccuracy <= 1));
  const best = await readSafetensors(join(out, 'best.safetensors'));
  const task = JSON.parse(best.metadata['usfm.task']!) as { task: string; classNames: string[] };
  assert.deepEqual(task.classNames, ['bright', 'dark']);
  assert.deepEqual(best.tensors.get('head.weight')!.shape, [2, 192]);
  assert.match(err, /cls: 16\/16 training images/);
  assert.match(err, /warning: .*bright: ignored 1 non-image entry: readme\.txt/);

  let evalOut = '';
  assert.equal(await main(['eval', '--run', out, '--data', data, '--split', 'val', '--json'], { out: (t) => { evalOut += t; }, err: () => undefined }), 0);
  const ev = JSON.parse(evalOut) as { n: number; confusion: number[][]; balancedAccuracy: number; classes: string[] };
  assert.equal(ev.n, 8);
  assert.equal(ev.confusion.flat().reduce((a, b) => a + b), 8);
  assert.deepEqual(ev.classes, ['bright', 'dark']);
  const bestVal = lines.find((l) => (l as { best?: boolean }).best)!.val.balancedAccuracy;
  assert.ok(Math.abs(ev.balancedAccuracy - bestVal) < 1e-9, `eval ${ev.balancedAccuracy} vs best validation ${bestVal}`);
  // Flip TTA: the same images, recorded in the output; an unknown kind is a usage error.
  let ttaOut = '';
  assert.equal(await main(['eval', '--run', out, '--data', data, '--split', 'val', '--tta', 'hflip', '--json'], { out: (t) => { ttaOut += t; }, err: () => undefined }), 0);
  const tta = JSON.parse(ttaOut) as { n: number; tta: string; balancedAccuracy: number };
  assert.deepEqual([tta.n, tta.tta, JSON.parse(evalOut).tta], [8, 'hflip', 'none']);
  let ttaErr = '';
  assert.equal(await main(['eval', '--run', out, '--data', data, '--tta', 'vflip'], { out: () => undefined, err: (t) => { ttaErr += t; } }), 2);
  assert.equal(ttaErr, "usfm: --tta must be none or hflip, got 'vflip'\n");
  let evalErr = '';
  assert.notEqual(await main(['eval', '--weights', join(tmp, 'nope.safetensors'), '--data', data], { out: () => undefined, err: (t) => { evalErr += t; } }), 0);
  assert.match(evalErr, /nope\.safetensors: /);

  // The same command again would write over the run: refused, nothing changed. --resume of the finished run does nothing.
  const before = readFileSync(join(out, 'best.safetensors'));
  let err3 = '';
  const io3 = { out: (): void => undefined, err: (t: string): void => { err3 += t; } };
  assert.equal(await main(['finetune', '--task', 'cls', '--data', data, '--weights', 'none', '--img-size', '32', '--epochs', '1', '--out', out], io3), 1);
  assert.equal(err3, `usfm: ${out}: holds a run already (options.json); continue it with --resume ${out}, or choose another --out\n`);
  err3 = '';
  assert.equal(await main(['finetune', '--resume', out], io3), 0);
  assert.match(err3, /finished \(2 epochs\), nothing to continue/);
  assert.deepEqual(readFileSync(join(out, 'best.safetensors')), before);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
  err3 = '';
  writeFileSync(join(tmp, 'file'), '');
  assert.equal(await main(['finetune', '--task', 'cls', '--data', data, '--weights', 'none', '--out', join(tmp, 'file')], io3), 1);
  assert.equal(err3, `usfm: ${join(tmp, 'file')}: --out is a file, not a folder\n`);

  let err2 = '';
  const bad = await main(['finetune', '--task', 'seg', '--data', data, '--weights', 'none', '--out', join(tmp, 'run2')], { out: () => undefined, err: (t) => { err2 += t; } });
  assert.notEqual(bad, 0);
  assert.equal(err2.trim().split('\n').length, 1);
  assert.match(err2, /training_set/);
});

test('an interrupted run (SIGINT) resumed with --resume ends with exactly the parameters of an uninterrupted one', async () => {
  const tmp = tempDir('usfm-resume-');
  const data = join(tmp, 'data');
  await makeCls(data);
  const args = (out: string): string[] => ['finetune', '--task', 'cls', '--data', data, '--weights', 'none', '--model', 'vit-t', '--img-size', '32',
    '--epochs', '2', '--batch-size', '4', '--lr', '0.05', '--out', out];
  const quiet = { out: (): void => undefined, err: (): void => undefined };
  assert.equal(await main(args(join(tmp, 'a')), quiet), 0);
  let steps = 0;
  let err = '';
  const interrupting = { out: (): void => undefined, err: (t: string): void => {
    err += t;
    if (/^epoch 2\/2 /.test(t) && ++steps === 1) process.emit('SIGINT');
  } };
  assert.equal(await main(args(join(tmp, 'b')), interrupting), 130, err); // stopped, not finished: 128 + SIGINT
  assert.match(err, /saved at epoch 2, batch 1; continue with: usfm finetune --resume/);
  // The run's wall-clock time goes on from the saved state: pretend the first session took 1000 s more.
  const state = join(tmp, 'b', 'state.json');
  const saved = JSON.parse(readFileSync(state, 'utf8')) as { seconds: number };
  assert.ok(saved.seconds > 0, JSON.stringify(saved));
  writeFileSync(state, JSON.stringify({ ...saved, seconds: saved.seconds + 1000 }));
  let err2 = '';
  assert.equal(await main(['finetune', '--resume', join(tmp, 'b')], { out: () => undefined, err: (t) => { err2 += t; } }), 0, err2);
  assert.match(err2, /resumed .* at epoch 2, batch 1, step 5/);
  const a = await readSafetensors(join(tmp, 'a', 'last.safetensors'));
  const b = await readSafetensors(join(tmp, 'b', 'last.safetensors'));
  for (const [k, t] of a.tensors) assert.deepEqual(b.tensors.get(k)!.data, t.data, k);
  const records = readFileSync(join(tmp, 'b', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seconds: number; trainLoss: number });
  assert.equal(records.length, 2);
  // The interrupted epoch's line covers the whole epoch (its sums before the stop were saved), as uninterrupted.
  const whole = readFileSync(join(tmp, 'a', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { trainLoss: number }).trainLoss);
  assert.deepEqual(records.map((r) => r.trainLoss), whole);
  assert.ok(records[0]!.seconds > 0 && records[0]!.seconds < saved.seconds && records[1]!.seconds > saved.seconds + 1000, JSON.stringify(records));
  // A damaged state is one line naming state.json.
  for (const [text, why] of [['null', 'not an object'], ['{}', 'no integer epoch']] as const) {
    writeFileSync(state, text);
    let err3 = '';
    assert.equal(await main(['finetune', '--resume', join(tmp, 'b')], { out: () => undefined, err: (t) => { err3 += t; } }), 1);
    assert.equal(err3.trim().split('\n').at(-1), `usfm: ${state}: cannot resume (not a run state: ${why})`);
  }
  assert.equal((await main(['finetune', '--resume', join(tmp, 'b'), '--epochs', '3'], quiet)), 2);
});

test('--loader-workers: samples loaded in worker threads train exactly the parameters of main-thread loading', async () => {
  const tmp = tempDir('usfm-workers-');
  const quiet = { out: (): void => undefined, err: (): void => undefined };
  // Default seg augmentations (flips, rot90) so every sample's random draws travel to the worker.
  const run = (out: string, workers: string): Promise<number> => main(['finetune', '--task', 'seg', '--data', DEMO_DATA, '--weights', 'none',
    '--img-size', '32', '--epochs', '1', '--batch-size', '8', '--loader-workers', workers, '--out', join(tmp, out)], quiet);
  assert.equal(await run('main', '0'), 0);
  assert.equal(await run('pool', '2'), 0);
  const a = await readSafetensors(join(tmp, 'main', 'last.safetensors'));
  const b = await readSafetensors(join(tmp, 'pool', 'last.safetensors'));
  for (const [k, t] of a.tensors) assert.deepEqual(b.tensors.get(k)!.data, t.data, k);
  assert.equal(await main(['finetune', '--task', 'seg', '--data', DEMO_DATA, '--loader-workers', '-1', '--out', join(tmp, 'x')], quiet), 2);
  // It does not change the samples, so --resume accepts it (other options stay the run's own).
  assert.equal(await main(['finetune', '--resume', join(tmp, 'pool'), '--loader-workers', '1'], quiet), 0);
  const after = await readSafetensors(join(tmp, 'pool', 'last.safetensors'));
  for (const [k, t] of b.tensors) assert.deepEqual(after.tensors.get(k)!.data, t.data, k);
});

test('a NaN/Inf loss stops the run with a one-line error and leaves the last good checkpoint untouched', async () => {
  const tmp = tempDir('usfm-nan-');
  const data = join(tmp, 'data');
  await makeCls(data);
  const out = join(tmp, 'run');
  const quiet = { out: (): void => undefined, err: (): void => undefined };
  assert.equal(await main(['finetune', '--task', 'cls', '--data', data, '--weights', 'none', '--model', 'vit-t', '--img-size', '32',
    '--epochs', '1', '--batch-size', '4', '--lr', '0.05', '--out', out], quiet), 0);
  const before = readFileSync(join(out, 'last.safetensors'));
  // Continue for a second epoch at an absurd learning rate: the first update overflows the weights.
  const opts = JSON.parse(readFileSync(join(out, 'options.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(out, 'options.json'), JSON.stringify({ ...opts, epochs: 2, lr: 1e38, clipNorm: 0 }));
  let err = '';
  const code = await main(['finetune', '--resume', out], { out: () => undefined, err: (t) => { err += t; } });
  assert.equal(code, 1, err);
  const last = err.trim().split('\n').at(-1)!;
  assert.match(last, /run: (loss|gradient norm) is (NaN|-?Infinity) at epoch 2, step \d+; stopped \(last good checkpoint: .*last\.safetensors; try a lower --lr\)$/);
  assert.deepEqual(readFileSync(join(out, 'last.safetensors')), before);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 1);
  const ck = await readSafetensors(join(out, 'last.safetensors'));
  for (const [k, t] of ck.tensors) assert.ok((t.data as Float32Array).every(Number.isFinite), k);
});

test('finetune --task seg --head atm trains the SegViT head; eval and predict use it from the checkpoint', async () => {
  const tmp = tempDir('usfm-atm-');
  const out = join(tmp, 'run');
  let err = '';
  const io = { out: (): void => undefined, err: (t: string): void => { err += t; } };
  assert.equal(await main(['finetune', '--task', 'seg', '--head', 'atm', '--data', DEMO_DATA, '--weights', 'none', '--img-size', '32',
    '--epochs', '1', '--batch-size', '8', '--out', out], io), 0, err);
  const ck = await readSafetensors(join(out, 'last.safetensors'));
  assert.equal((JSON.parse(ck.metadata['usfm.task']!) as { head: string }).head, 'atm');
  assert.deepEqual(ck.tensors.get('decode_head.class_embed.weight')!.shape, [3, 96]);
  assert.ok(![...ck.tensors.keys()].some((k) => k.startsWith('auxiliary_head.')));
  let evalOut = '';
  assert.equal(await main(['eval', '--run', out, '--data', DEMO_DATA, '--split', 'val', '--json'], { out: (t) => { evalOut += t; }, err: () => undefined }), 0);
  const ev = JSON.parse(evalOut) as { summary: { images: number; dice: { mean: number } } };
  assert.equal(ev.summary.images, 10);
  assert.ok(ev.summary.dice.mean >= 0 && ev.summary.dice.mean <= 1);
  let text = '';
  assert.equal(await main(['eval', '--run', out, '--data', DEMO_DATA, '--split', 'val'], { out: (t) => { text += t; }, err: () => undefined }), 0);
  // The bundled subset carries HC18's pixel-size table: HD95 and the head-circumference error in mm, over all 10 images.
  assert.match(text, /^hd95 +\S+ ± \S+ +\(n \d+(, \d+ undefined)?\) mm +\(pixel sizes from pixel_size_and_HC\.csv\)$/m);
  assert.match(text, /^\|ΔHC\| +\S+ ± \S+ +\(n \d+(, \d+ undefined)?\) mm +\(head circumference of the fitted ellipse vs the reference\)$/m);
  let bad = '';
  assert.equal(await main(['finetune', '--task', 'cls', '--head', 'atm', '--data', DEMO_DATA, '--weights', 'none', '--out', join(tmp, 'x')], { out: () => undefined, err: (t) => { bad += t; } }), 2);
  assert.match(bad, /--head is for --task seg/);
});

test('--augment is checked before any work and recorded for --resume', async () => {
  let err = '';
  const code = await main(['finetune', '--task', 'cls', '--data', DEMO_DATA, '--weights', 'none', '--augment', 'hflip,blur', '--out', join(tmpdir(), 'never')], { out: () => undefined, err: (t) => { err += t; } });
  assert.equal(code, 2);
  assert.equal(err, "usfm: --augment: unknown augmentation 'blur' (none, or a list of hflip, vflip, rot90, crop, jitter)\n");
});

test('finetune --task seg --classes 3 reads class-index masks; eval reports per-class Dice; predict writes class ids', async () => {
  const tmp = tempDir('usfm-mc-');
  const data = join(tmp, 'data');
  const rng = new Rng(5);
  for (const [split, n] of [['training_set', 8], ['val_set', 4]] as const) {
    for (const d of ['image', 'mask']) mkdirSync(join(data, split, d), { recursive: true });
    for (let i = 0; i < n; i++) {
      // Left third dark (class 1), right third bright (class 2), middle background.
      const label = (x: number): number => (x < 16 ? 1 : x >= 32 ? 2 : 0);
      const img = Uint8Array.from({ length: 48 * 48 }, (_, k) => [120, 40, 220][label(k % 48)]! + 20 * rng.normal());
      const mask = Uint8Array.from({ length: 48 * 48 }, (_, k) => label(k % 48));
      await sharp(img, { raw: { width: 48, height: 48, channels: 1 } }).png().toFile(join(data, split, 'image', `${i}.png`));
      await sharp(mask, { raw: { width: 48, height: 48, channels: 1 } }).png().toFile(join(data, split, 'mask', `${i}.png`));
    }
  }
  const out = join(tmp, 'run');
  let err = '';
  assert.equal(await main(['finetune', '--task', 'seg', '--classes', '3', '--data', data, '--weights', 'none', '--img-size', '32', '--epochs', '1',
    '--batch-size', '4', '--out', out], { out: () => undefined, err: (t) => { err += t; } }), 0, err);
  const line = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8')) as { val: { mDice: number } };
  assert.ok(line.val.mDice >= 0 && line.val.mDice <= 1);
  let evalOut = '';
  assert.equal(await main(['eval', '--run', out, '--data', data, '--split', 'val', '--json'], { out: (t) => { evalOut += t; }, err: () => undefined }), 0);
  const ev = JSON.parse(evalOut) as { perImage: { classDice: number[] }[] };
  assert.ok(ev.perImage.every((m) => m.classDice.length === 2));
  const pred = join(tmp, 'pred');
  assert.equal(await main(['predict', '--run', out, '--out', pred, join(data, 'val_set', 'image', '0.png')], { out: () => undefined, err: () => undefined }), 0);
  const m = await sharp(join(pred, '0_mask.png')).raw().toBuffer();
  assert.ok(m.every((v) => v <= 2));
  // A binary model cannot read class-index masks with 3 values, and says so naming the mask.
  let bad = '';
  assert.equal(await main(['finetune', '--task', 'seg', '--data', data, '--weights', 'none', '--img-size', '32', '--epochs', '1', '--out', join(tmp, 'bin')],
    { out: () => undefined, err: (t) => { bad += t; } }), 1);
  assert.match(bad, /mask.*\.png: not a binary mask/);
});

test('--accum-steps 2 at batch 4 takes the same optimizer steps as batch 8', async () => {
  const tmp = tempDir('usfm-accum-');
  const data = join(tmp, 'data');
  await makeCls(data);
  const quiet = { out: (): void => undefined, err: (): void => undefined };
  const run = (out: string, extra: string[]): Promise<number> => main(['finetune', '--task', 'cls', '--data', data, '--weights', 'none', '--model', 'vit-t',
    '--img-size', '32', '--epochs', '1', '--lr', '0.05', '--drop-path', '0', '--augment', 'none', '--out', join(tmp, out), ...extra], quiet);
  assert.equal(await run('big', ['--batch-size', '8']), 0);
  assert.equal(await run('acc', ['--batch-size', '4', '--accum-steps', '2']), 0);
  const a = await readSafetensors(join(tmp, 'big', 'last.safetensors'));
  const b = await readSafetensors(join(tmp, 'acc', 'last.safetensors'));
  let worst = 0;
  for (const [k, t] of a.tensors) {
    const x = t.data as Float32Array;
    const y = b.tensors.get(k)!.data as Float32Array;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  assert.ok(worst < 2e-5, `max |Δparam| ${worst}`);
  // More micro-batches per step than batches per epoch: one (smaller) step per epoch, never across epochs.
  assert.equal(await run('acc8', ['--batch-size', '4', '--accum-steps', '8', '--epochs', '2']), 0);
  assert.equal((JSON.parse(readFileSync(join(tmp, 'acc8', 'state.json'), 'utf8')) as { globalStep: number }).globalStep, 2);
});

test('--class-weights balanced weights the classification loss by inverse class frequency', async () => {
  const tmp = tempDir('usfm-cw-');
  const data = join(tmp, 'data');
  for (const [split, counts] of [['train', { bright: 12, dark: 4 }], ['val', { bright: 2, dark: 2 }]] as const) {
    for (const [cls, n] of Object.entries(counts)) {
      mkdirSync(join(data, split, cls), { recursive: true });
      for (let i = 0; i < n; i++) await sharp(new Uint8Array(32 * 32).fill(cls === 'bright' ? 200 : 50), { raw: { width: 32, height: 32, channels: 1 } }).png().toFile(join(data, split, cls, `${i}.png`));
    }
  }
  let err = '';
  assert.equal(await main(['finetune', '--task', 'cls', '--data', data, '--weights', 'none', '--img-size', '32', '--epochs', '1', '--batch-size', '4',
    '--class-weights', 'balanced', '--out', join(tmp, 'run')], { out: () => undefined, err: (t) => { err += t; } }), 0, err);
  assert.match(err, /class weights 0\.667, 2\.000 \(inverse frequency\)/);
  let bad = '';
  assert.equal(await main(['finetune', '--task', 'cls', '--data', data, '--weights', 'none', '--class-weights', 'inverse', '--out', join(tmp, 'x')], { out: () => undefined, err: (t) => { bad += t; } }), 2);
  assert.match(bad, /--class-weights must be none or balanced/);
});

test('--weights bundled (the vit-t default) starts from the shipped pretrained ViT-T; other models must name weights', async () => {
  const tmp = tempDir('usfm-bundled-');
  let err = '';
  assert.equal(await main(['finetune', '--task', 'seg', '--data', DEMO_DATA, '--weights', 'bundled', '--img-size', '32', '--epochs', '1', '--out', join(tmp, 'run')],
    { out: () => undefined, err: (t) => { err += t; } }), 0, err);
  assert.match(err, /backbone from .*weights\/usfm-vit-t\.safetensors: /);
  let bad = '';
  assert.equal(await main(['finetune', '--task', 'seg', '--data', DEMO_DATA, '--weights', 'bundled', '--model', 'vit-b', '--out', join(tmp, 'b')],
    { out: () => undefined, err: (t) => { bad += t; } }), 2);
  assert.match(bad, /--weights bundled is a vit-t; for --model vit-b pass --weights CKPT/);
  let none = '';
  assert.equal(await main(['finetune', '--task', 'seg', '--data', DEMO_DATA, '--model', 'vit-s', '--out', join(tmp, 'c')],
    { out: () => undefined, err: (t) => { none += t; } }), 2);
  assert.match(none, /--weights is required for --model vit-s/);
});
