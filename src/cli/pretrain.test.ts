// `usfm pretrain` end to end on two small generated sources: outputs, official encoder layout, exact resume.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { Rng } from '../core/random.js';
import { readCheckpoint } from '../checkpoint/open.js';
import { readSafetensors, writeSafetensors } from '../checkpoint/safetensors.js';
import { loadBackbone } from '../models/usfm/backbone.js';
import { makeConfig } from '../models/usfm/config.js';
import { mimSpecs } from '../pretrain/objective.js';
import { objectiveOptions } from '../pretrain/options.js';
import { decodeImage } from '../data/decode.js';
import { main } from './main.js';
import { tempDir } from '../testing/temp_dir.js';

const tmp = tempDir('usfm-pretrain-');
const quiet = { out: (): void => undefined, err: (): void => undefined };

async function cli(args: string[], onErr?: (t: string) => void): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(args, { out: () => undefined, err: (t) => { err += t; onErr?.(t); } });
  return { code, err };
}

const args = (out: string): string[] => ['pretrain', '--data', `${join(tmp, 'liver')},${join(tmp, 'heart')}`, '--model', 'vit-t', '--img-size', '32',
  '--mask-unit', '16', '--epochs', '2', '--epoch-length', '8', '--batch-size', '4', '--grid-every', '1', '--pth', '--out', out];

describe('usfm pretrain', () => {
  before(async () => {
    const rng = new Rng(3);
    for (const [src, n] of [['liver', 6], ['heart', 2]] as const) {
      mkdirSync(join(tmp, src, 'sub'), { recursive: true });
      for (let i = 0; i < n; i++) {
        const px = Uint8Array.from({ length: 40 * 36 }, (_, k) => (k % 40 < 20 ? 60 : 180) + 30 * rng.normal());
        await sharp(px, { raw: { width: 40, height: 36, channels: 1 } }).png().toFile(join(tmp, src, i % 2 ? 'sub' : '', `${i}.png`));
      }
    }
    const r = await cli(args(join(tmp, 'a')));
    assert.equal(r.code, 0, r.err);
  });

  it('writes checkpoints, metrics and reconstruction grids', async () => {
    const out = join(tmp, 'a');
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { epoch: number; loss: number; lSpa: number; lFreq: number; denormals: string });
    assert.deepEqual(lines.map((l) => l.epoch), [1, 2]);
    assert.deepEqual(lines.map((l) => l.denormals), ['ieee', 'ieee']);
    for (const l of lines) assert.ok(Number.isFinite(l.loss) && Math.abs(l.loss - (l.lSpa + l.lFreq)) < 1e-4, JSON.stringify(l));
    const grid = await decodeImage(join(out, 'grids', 'epoch-002.png'));
    // 4 preview images × (original | masked | reconstruction), 32 px cells, 4 px borders.
    assert.deepEqual([grid.width, grid.height, grid.channels], [3 * 32 + 4 * 4, 4 * 32 + 5 * 4, 3]);
    const last = await readSafetensors(join(out, 'last.safetensors'));
    assert.ok(last.tensors.has('decoder.0.weight'));
    // The training record: objective, absolute source folders, and each source's name and image count (before() made them).
    const record = JSON.parse((await readSafetensors(join(out, 'encoder.safetensors'))).metadata['usfm.pretrain']!) as Record<string, unknown>;
    assert.deepEqual([record.data, record.sources, record.balance], [[join(tmp, 'liver'), join(tmp, 'heart')], [{ name: 'liver', images: 6 }, { name: 'heart', images: 2 }], 'source']);
    assert.equal((record.objective as { fill: string }).fill, 'token');
    // …and how it trained (a checkpoint alone says how it was made), with the epoch's losses beside it.
    assert.deepEqual(record.schedule, {
      model: 'vit-t', imgSize: 32, epochs: 2, epochLength: 8, batchSize: 4, accumSteps: 1, lr: 2e-2, weightDecay: 0.05, warmupEpochs: 1, clipNorm: 5,
      dropPath: 0.1, flips: 'hv', seed: 42, weights: null,
    });
    const lastEpoch = lines[lines.length - 1]!;
    const loss = JSON.parse((await readSafetensors(join(out, 'encoder.safetensors'))).metadata['usfm.loss']!) as Record<string, number>;
    assert.deepEqual(loss, { loss: lastEpoch.loss, lSpa: lastEpoch.lSpa, lFreq: lastEpoch.lFreq });
  });

  it('exports the encoder in the official layout, usable as --weights', async () => {
    const enc = await readSafetensors(join(tmp, 'a', 'encoder.safetensors'));
    const keys = [...enc.tensors.keys()];
    assert.ok(!keys.some((k) => k.startsWith('decoder.')));
    for (const k of ['cls_token', 'mask_token', 'norm.weight', 'rel_pos_bias.relative_position_bias_table', 'blocks.11.gamma_2']) assert.ok(keys.includes(k), k);
    assert.ok(!keys.some((k) => k.includes('attn.relative_position_bias_table')), 'one shared table, as USFM_latest.pth');
    const index = enc.tensors.get('rel_pos_bias.relative_position_index')!;
    assert.equal(index.dtype, 'int64');
    assert.deepEqual(index.shape, [5, 5]);
    // cls/mask tokens, patch embed (2), shared table + index, 15 per block, final norm: 188, as USFM_latest.pth.
    assert.equal(keys.length, 2 + 2 + 2 + 12 * 15 + 2);
    // --pth: the same state dict as a torch.save file (flat, as USFM_latest.pth).
    const pth = await readCheckpoint(join(tmp, 'a', 'encoder.pth'));
    assert.deepEqual([...pth.tensors.keys()].sort(), [...keys].sort());
    for (const [k, t] of enc.tensors) assert.deepEqual(pth.tensors.get(k)!.data, t.data, k);
    const r = await cli(['embed', '--weights', join(tmp, 'a', 'encoder.safetensors'), '--out', join(tmp, 'emb.safetensors'), join(tmp, 'liver', '0.png')]);
    assert.equal(r.code, 0, r.err);
  });

  it('continues an interrupted run exactly (--resume)', async () => {
    let steps = 0;
    const b = join(tmp, 'b');
    const r = await cli(args(b), (t) => { if (/^epoch 2\/2 /.test(t) && ++steps === 1) process.emit('SIGINT'); });
    assert.equal(r.code, 130, r.err); // stopped, not finished: 128 + SIGINT
    assert.match(r.err, /saved at epoch 2, batch 1; continue with: usfm pretrain --resume/);
    assert.ok(!existsSync(join(b, 'grids', 'epoch-002.png')));
    // The run's wall-clock time goes on from the saved state: pretend the first session took 1000 s more.
    const saved = JSON.parse(readFileSync(join(b, 'state.json'), 'utf8')) as { seconds: number };
    writeFileSync(join(b, 'state.json'), JSON.stringify({ ...saved, seconds: saved.seconds + 1000 }));
    // options.json keeps every objective setting, not only those given, so a later default cannot change a resumed run…
    const opts = JSON.parse(readFileSync(join(b, 'options.json'), 'utf8')) as { objective: Record<string, unknown> };
    assert.deepEqual(opts.objective, JSON.parse(JSON.stringify(objectiveOptions({ maskUnit: 16 }))));
    // …and the checkpoint's record decides anyway: an options.json that says otherwise (as older ones, holding only the
    // settings given, would after a default changed) still resumes the objective the run was trained with (checked below).
    writeFileSync(join(b, 'options.json'), JSON.stringify({ ...opts, objective: { maskUnit: 16, fill: 'noise' } }));
    // Other data than the run started on is refused (the interrupted epoch could not be replayed), naming the change.
    const extra = join(tmp, 'heart', 'extra.png');
    writeFileSync(extra, readFileSync(join(tmp, 'heart', '0.png')));
    const changed = await cli(['pretrain', '--resume', b]);
    rmSync(extra);
    assert.equal(changed.code, 1);
    assert.ok(changed.err.includes(`${b}: the data changed since this run started (heart: 2 images then, heart: 3 images now); resuming would not replay the same draws`), changed.err);
    const r2 = await cli(['pretrain', '--resume', b]);
    assert.equal(r2.code, 0, r2.err);
    const seconds = readFileSync(join(b, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { seconds: number }).seconds);
    assert.ok(seconds.length === 2 && seconds[0]! > 0 && seconds[0]! < saved.seconds && seconds[1]! > saved.seconds + 1000, JSON.stringify(seconds));
    const want = await readSafetensors(join(tmp, 'a', 'last.safetensors'));
    const got = await readSafetensors(join(b, 'last.safetensors'));
    for (const [k, t] of want.tensors) assert.deepEqual(got.tensors.get(k)!.data, t.data, k);
    // The interrupted epoch's losses cover the whole epoch (its sums before the stop were saved), as uninterrupted.
    const losses = (dir: string): number[][] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { loss: number; lSpa: number; lFreq: number }).map((r) => [r.loss, r.lSpa, r.lFreq]);
    assert.deepEqual(losses(b), losses(join(tmp, 'a')));
  });

  it('a stop on the last batch of an epoch finishes that epoch first, then resumes exactly', async () => {
    // One batch per epoch, so the signal always arrives on an epoch's last batch.
    const one = (out: string): string[] => [...args(out).filter((_, i, a) => a[i - 1] !== '--epoch-length' && a[i] !== '--epoch-length'), '--epoch-length', '4'];
    assert.equal((await cli(one(join(tmp, 'd')))).code, 0);
    let stopped = false;
    const c = join(tmp, 'c');
    const r = await cli(one(c), (t) => { if (!stopped && /^epoch 1\/2 +1\/1 /.test(t)) { stopped = true; process.emit('SIGINT'); } });
    assert.equal(r.code, 130, r.err); // stopped, not finished: 128 + SIGINT
    assert.match(r.err, /saved at the end of epoch 1; continue with: usfm pretrain --resume/);
    assert.equal((await cli(['pretrain', '--resume', c])).code, 0);
    const lines = readFileSync(join(c, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; loss: number });
    assert.deepEqual(lines.map((l) => l.epoch), [1, 2]);
    assert.ok(lines.every((l) => l.loss > 0));
    const want = await readSafetensors(join(tmp, 'd', 'last.safetensors'));
    const got = await readSafetensors(join(c, 'last.safetensors'));
    for (const [k, t] of want.tensors) assert.deepEqual(got.tensors.get(k)!.data, t.data, k);
    // On the last batch of the last epoch the signal stops nothing: the run finishes and exits 0.
    let late = false;
    const e = await cli(one(join(tmp, 'late')), (t) => { if (!late && /^epoch 2\/2 +1\/1 /.test(t)) { late = true; process.emit('SIGINT'); } });
    assert.ok(late);
    assert.equal(e.code, 0, e.err);
    assert.doesNotMatch(e.err, /saved at/);
  });

  it('accumulates gradients over --accum-steps batches, and resumes exactly between optimizer steps', async () => {
    const acc = (out: string): string[] => [...args(out).filter((_, i, a) => a[i] !== '--epoch-length' && a[i - 1] !== '--epoch-length'), '--epoch-length', '16', '--accum-steps', '2'];
    assert.equal((await cli(acc(join(tmp, 'g')))).code, 0);
    // 4 batches of 4 per epoch, a step every 2: 4 optimizer steps in 2 epochs.
    assert.equal((JSON.parse(readFileSync(join(tmp, 'g', 'state.json'), 'utf8')) as { globalStep: number }).globalStep, 4);
    let stopped = false;
    const h = join(tmp, 'h');
    // A signal after the first batch of epoch 2 waits for the step that completes its group.
    const r = await cli(acc(h), (t) => { if (!stopped && /^epoch 2\/2 +1\/4 /.test(t)) { stopped = true; process.emit('SIGINT'); } });
    assert.equal(r.code, 130, r.err); // stopped, not finished: 128 + SIGINT
    assert.match(r.err, /saved at epoch 2, batch 2; continue with/);
    assert.equal((await cli(['pretrain', '--resume', h])).code, 0);
    const want = await readSafetensors(join(tmp, 'g', 'last.safetensors'));
    const got = await readSafetensors(join(h, 'last.safetensors'));
    for (const [k, t] of want.tensors) assert.deepEqual(got.tensors.get(k)!.data, t.data, k);
  });

  it('starts a new run from a pretraining checkpoint with its decoder (--weights RUN/last.safetensors)', async () => {
    const cfg = makeConfig('vit-t', { imgSize: [32, 32], sharedRelPos: true });
    const specs = mimSpecs(cfg, objectiveOptions({ maskUnit: 16 }));
    const lastPath = join(tmp, 'a', 'last.safetensors');
    const last = await readSafetensors(lastPath);
    const withDecoder = await loadBackbone(lastPath, specs, cfg, () => false, { keepFinalNorm: true, keepDecoder: true });
    const decoderKeys = specs.map((s) => s.name).filter((k) => k.startsWith('decoder.'));
    assert.ok(decoderKeys.length > 0);
    for (const k of decoderKeys) assert.deepEqual(withDecoder.tensors.get(k)!.data, last.tensors.get(k)!.data, k);
    assert.ok(withDecoder.notes.includes(`pretraining decoder loaded (${decoderKeys.length} tensors)`), withDecoder.notes.join('; '));
    // Without keepDecoder (as fine-tuning loads) it is dropped.
    assert.ok(!(await loadBackbone(lastPath, specs, cfg, () => false, { keepFinalNorm: true })).tensors.has(decoderKeys[0]!));
    // A decoder of another shape is dropped with a note, never half-loaded.
    const odd = new Map(last.tensors);
    const w = last.tensors.get('decoder.0.weight')!;
    odd.set('decoder.0.weight', { ...w, shape: [w.shape[0]! / 2, ...w.shape.slice(1)], data: w.data.slice(0, w.data.length / 2) });
    await writeSafetensors(join(tmp, 'odd.safetensors'), odd);
    const dropped = await loadBackbone(join(tmp, 'odd.safetensors'), specs, cfg, () => false, { keepFinalNorm: true, keepDecoder: true });
    assert.ok(!decoderKeys.some((k) => dropped.tensors.has(k)));
    assert.match(dropped.notes.join('; '), /decoder does not fit this model \(decoder\.0\.weight\): dropped/);
    // The CLI says which it did.
    const one = (out: string, weights: string): string[] => [...args(out).filter((_, i, a) => !['--epochs', '--pth'].includes(a[i]!) && a[i - 1] !== '--epochs'), '--epochs', '1', '--weights', weights];
    const r = await cli(one(join(tmp, 'e'), lastPath));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /pretraining decoder loaded/);
    const r2 = await cli(one(join(tmp, 'f'), join(tmp, 'a', 'encoder.safetensors')));
    assert.equal(r2.code, 0, r2.err);
    assert.match(r2.err, /no pretraining decoder in the checkpoint/);
  });

  it('--freq-log and --outer-radius reach the objective; --val-data measures it on held-out images every epoch', async () => {
    const val = join(tmp, 'val');
    mkdirSync(val, { recursive: true });
    for (const [i, src] of [['a', 'liver/0.png'], ['b', 'heart/0.png'], ['c', 'liver/2.png']] as const) {
      // Other images than the training ones (a flipped copy), so the overlap check lets them through.
      await sharp(join(tmp, src)).flop().toFile(join(val, `${i}.png`));
    }
    const g = join(tmp, 'val-g');
    const short = (out: string): string[] => [...args(out).filter((_, i, l) => !['--epochs', '--epoch-length'].includes(l[i]!) && !['--epochs', '--epoch-length'].includes(l[i - 1]!)),
      '--epochs', '2', '--epoch-length', '4'];
    const r = await cli([...short(g), '--freq-log', 'off', '--outer-radius', 'inscribed', '--lambda-freq', '0.01', '--val-data', val, '--val-images', '2', '--flips', 'h']);
    assert.equal(r.code, 0, r.err);
    const saved = (JSON.parse(readFileSync(join(g, 'options.json'), 'utf8')) as { objective: Record<string, unknown> }).objective;
    const record = (JSON.parse((await readSafetensors(join(g, 'last.safetensors'))).metadata['usfm.pretrain']!) as { objective: Record<string, unknown> }).objective;
    for (const o of [saved, record]) assert.deepEqual([o.freqLog, o.outerRadius, o.freqWeight], [false, 'inscribed', 0.01]);
    const schedule = (JSON.parse((await readSafetensors(join(g, 'last.safetensors'))).metadata['usfm.pretrain']!) as { schedule: { flips: string } }).schedule;
    assert.equal(schedule.flips, 'h');
    assert.match(r.err, new RegExp(`held-out: 2 images from ${val}`));
    const epochs = readFileSync(join(g, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    for (const e of epochs) {
      assert.ok(Number.isFinite(e.valLoss) && e.valLoss! > 0 && Math.abs(e.valLoss! - (e.valLSpa! + 0.01 * e.valLFreq!)) < 1e-4, JSON.stringify(e));
    }
    assert.notEqual(epochs[0]!.valLoss, epochs[1]!.valLoss, 'the model changed between epochs');
    const loss = JSON.parse((await readSafetensors(join(g, 'encoder.safetensors'))).metadata['usfm.loss']!) as Record<string, number>;
    assert.equal(loss.valLoss, epochs[1]!.valLoss);
    // The same weights, the same held-out images: the same loss (fixed masks), whatever run measures it.
    const h = join(tmp, 'val-h');
    assert.equal((await cli([...short(h), '--freq-log', 'off', '--outer-radius', 'inscribed', '--lambda-freq', '0.01', '--val-data', val, '--val-images', '2', '--flips', 'h'])).code, 0);
    assert.deepEqual(readFileSync(join(h, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as Record<string, number>).valLoss), epochs.map((e) => e.valLoss));
    // Measuring held-out images changes nothing in training: the weights equal a run without --val-data.
    const i = join(tmp, 'val-i');
    assert.equal((await cli([...short(i), '--freq-log', 'off', '--outer-radius', 'inscribed', '--lambda-freq', '0.01', '--flips', 'h'])).code, 0);
    const [withVal, without] = [await readSafetensors(join(g, 'last.safetensors')), await readSafetensors(join(i, 'last.safetensors'))];
    for (const [k, t] of withVal.tensors) assert.deepEqual(without.tensors.get(k)!.data, t.data, k);
    // A damaged held-out image fails before anything is written (they are decoded up front).
    const broken = join(tmp, 'val-broken');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'bad.png'), 'not a png');
    const bad = await cli([...short(join(tmp, 'val-bad')), '--val-data', broken]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /bad\.png: /);
    assert.ok(!existsSync(join(tmp, 'val-bad')), 'nothing written');
    // A held-out folder that overlaps the training data is refused, naming the image.
    const clash = await cli([...short(join(tmp, 'val-clash')), '--val-data', join(tmp, 'heart')]);
    assert.equal(clash.code, 1);
    assert.ok(clash.err.endsWith(`\nusfm: ${join(tmp, 'heart', '0.png')}: is a training image too; held-out images (--val-data) must not be in --data\n`), clash.err);
    assert.ok(!existsSync(join(tmp, 'val-clash')), 'refused before anything is written');
    assert.equal((await cli([...short(join(tmp, 'val-x')), '--val-images', '3'])).err, 'usfm: --val-images needs --val-data\n');
  });

  it('never writes over a run: a new run into a run folder, a file as --out, --resume of another command\'s folder', async () => {
    const a = join(tmp, 'a');
    const before = ['last.safetensors', 'metrics.jsonl', 'state.json', 'options.json'].map((f) => readFileSync(join(a, f)));
    const again = await cli([...args(a).filter((_, i, l) => l[i] !== '--seed' && l[i - 1] !== '--seed'), '--seed', '7']);
    assert.equal(again.code, 1);
    assert.equal(again.err, `usfm: ${a}: holds a run already (options.json); continue it with --resume ${a}, or choose another --out\n`);
    const done = await cli(['pretrain', '--resume', a]);
    assert.equal(done.code, 0, done.err);
    assert.match(done.err, /finished \(2 epochs\), nothing to continue; to pretrain further, start a new run with --weights .*last\.safetensors/);
    assert.deepEqual(['last.safetensors', 'metrics.jsonl', 'state.json', 'options.json'].map((f) => readFileSync(join(a, f))), before);
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'keep');
    const onFile = await cli(args(file));
    assert.equal(onFile.err, `usfm: ${file}: --out is a file, not a folder\n`);
    assert.equal(readFileSync(file, 'utf8'), 'keep');
    const ft = join(tmp, 'ft-run');
    mkdirSync(ft);
    writeFileSync(join(ft, 'options.json'), JSON.stringify({ task: 'cls', data: '/some/data', model: 'vit-t', epochs: 3, labelRatio: 1 }));
    const other = await cli(['pretrain', '--resume', ft]);
    assert.equal(other.code, 1);
    assert.equal(other.err, `usfm: ${join(ft, 'options.json')}: not the options of a pretraining run; --resume takes a folder that a pretraining run wrote\n`);
  });

  it('rejects bad options and held-out folders with one line', async () => {
    const bad = await cli([...args(join(tmp, 'c')), '--fill', 'blur']);
    assert.equal(bad.code, 2);
    assert.equal(bad.err, "usfm: --fill must be token, noise or mean, got 'blur'\n");
    assert.equal((await cli([...args(join(tmp, 'c')), '--freq-log', 'yes'])).err, "usfm: --freq-log must be on or off, got 'yes'\n");
    assert.equal((await cli([...args(join(tmp, 'c')), '--outer-radius', 'edge'])).err, "usfm: --outer-radius must be corner or inscribed, got 'edge'\n");
    assert.equal((await cli([...args(join(tmp, 'c')), '--flips', 'v'])).err, "usfm: --flips must be hv, h or none, got 'v'\n");
    const ratio = await cli([...args(join(tmp, 'c')), '--mask-ratio', '1.5']);
    assert.equal(ratio.code, 2);
    assert.equal(ratio.err, 'usfm: --mask-ratio must be in [0, 1], got 1.5\n');
    mkdirSync(join(tmp, 'ds', 'val_set'), { recursive: true });
    const held = await cli(['pretrain', '--data', join(tmp, 'ds', 'val_set'), '--out', join(tmp, 'held')], quiet.err);
    assert.equal(held.code, 1);
    assert.match(held.err, /val_set: is in a held-out split folder .*--splits all/);
    assert.equal(held.err.trim().split('\n').length, 1);
  });
});
