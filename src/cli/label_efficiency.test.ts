// `usfm label-efficiency`: one-line usage errors, then one tiny end-to-end study on the bundled HC18 subset
// (a 1-epoch pretrained encoder vs random init, 32 px, ratios 0.5 and 1, one seed), its re-run and option check;
// merging two studies' results (no training).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { BUNDLED_PATH, isBundledWeights } from '../models/usfm/bundled.js';
import type { StudyResults } from '../train/label_efficiency.js';
import { aggregate } from '../train/label_efficiency.js';
import { fakeStudy } from '../report/testing/study.js';
import { DEMO_DATA } from './demo.js';
import { parseArms, parseRatios, studyOptions } from './label_efficiency.js';
import { main } from './main.js';
import { tempDir } from '../testing/temp_dir.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

describe('usfm label-efficiency arguments', () => {
  it('parses ratio and arm lists', () => {
    assert.deepEqual(parseRatios('1, 0.1,0.5,0.2'), [0.1, 0.2, 0.5, 1]);
    assert.deepEqual(parseArms('scratch,pretrained'), ['pretrained', 'scratch']);
  });

  it("gives each arm finetune's recipe for its backbone unless told otherwise", () => {
    const pick = (o: ReturnType<typeof studyOptions>): number[] => [o.lrPretrained, o.layerDecayPretrained, o.lrScratch];
    const seg = { task: 'seg', data: 'd', out: 'o' };
    assert.deepEqual(pick(studyOptions({ ...seg, weights: 'bundled' })), [1.28e-2, 1, 1.28e-2]);
    assert.deepEqual(pick(studyOptions({ ...seg, weights: 'USFM_latest.pth' })), [3.2e-3, 0.65, 1.28e-2]);
    assert.deepEqual(pick(studyOptions({ task: 'cls', data: 'd', weights: 'w.pth' })), [1.25e-3, 0.65, 6.4e-2]);
    assert.deepEqual(pick(studyOptions({ task: 'cls', data: 'd', weights: 'bundled' })), [2e-2, 0.75, 6.4e-2]);
    // One default budget per task, whatever the weights or arms, so studies of other weights or arms merge.
    const epochs = (o: ReturnType<typeof studyOptions>): string => `${o.budget.value} ${o.budget.unit}`;
    assert.equal(epochs(studyOptions({ ...seg, weights: 'bundled' })), '30 epochs');
    for (const w of ['bundled', 'w.pth']) assert.equal(epochs(studyOptions({ task: 'cls', data: 'd', weights: w })), '60 epochs', w);
    assert.equal(epochs(studyOptions({ task: 'cls', data: 'd', arms: 'scratch' })), '60 epochs');
    assert.equal(epochs(studyOptions({ task: 'cls', data: 'd', weights: 'bundled', epochs: '30' })), '30 epochs');
    // The bundled file by path, or a copy of it, is known by content; a same-sized file with other bytes is not, but
    // it still carries the bundled file's pretraining record, and any encoder usfm pretrain wrote gets the same recipe
    // (a checkpoint without that record gets the official one: weights.test.ts).
    const tmp = tempDir('usfm-le-recipe-');
    const copy = join(tmp, 'copy.safetensors');
    copyFileSync(BUNDLED_PATH, copy);
    const other = join(tmp, 'other.safetensors');
    const bytes = readFileSync(BUNDLED_PATH);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    writeFileSync(other, bytes);
    for (const w of [BUNDLED_PATH, copy]) assert.deepEqual(pick(studyOptions({ task: 'cls', data: 'd', weights: w })), [2e-2, 0.75, 6.4e-2], w);
    assert.equal(isBundledWeights(other), false);
    assert.deepEqual(pick(studyOptions({ task: 'cls', data: 'd', weights: other })), [2e-2, 0.75, 6.4e-2]);
    assert.deepEqual(pick(studyOptions({ ...seg, weights: 'w.pth', 'lr-pretrained': '0.01', 'layer-decay-pretrained': '0.8' })), [0.01, 0.8, 1.28e-2]);
    assert.equal(studyOptions({ ...seg, weights: 'bundled', 'seg-channels': '64' }).segChannels, 64);
    assert.equal(studyOptions({ ...seg, weights: 'bundled' }).segChannels, undefined);
    assert.equal(studyOptions({ task: 'cls', data: 'd', weights: 'bundled', 'class-weights': 'balanced' }).classWeights, 'balanced');
    assert.equal('classWeights' in studyOptions({ task: 'cls', data: 'd', weights: 'bundled', 'class-weights': 'none' }), false);
  });

  it('rejects bad options with one line and exit code 2', async () => {
    const base = ['label-efficiency', '--task', 'seg', '--data', DEMO_DATA, '--out', join(tmpdir(), 'never-written')];
    const cases: [string[], RegExp][] = [
      [['--weights', 'w.pth', '--layer-decay-pretrained', '1.5'], /--layer-decay-pretrained/],
      [['--weights', 'w.pth', '--class-weights', 'balanced'], /--class-weights is for --task cls/],
      [['--weights', 'w.pth', '--head', 'atm', '--seg-channels', '64'], /--seg-channels is for --task seg --head upernet/],
      [['--weights', 'w.pth', '--ratios', '0.1,x'], /--ratios must be a comma-separated list of numbers in \(0, 1\], got '0\.1,x'/],
      [['--weights', 'w.pth', '--ratios', '0.1,1.5'], /--ratios: 1\.5 is outside \(0, 1\]/],
      [['--weights', 'w.pth', '--ratios', '0,1'], /--ratios: 0 is outside \(0, 1\]/],
      [['--weights', 'w.pth', '--ratios', '0.5,0.50'], /--ratios lists 0\.50 twice/],
      [[], /--weights CKPT is required for the pretrained arm \(or run --arms scratch\)/],
      [['--weights', 'w.pth', '--arms', 'pretrained,imagenet'], /--arms must list pretrained and\/or scratch, got 'imagenet'/],
      [['--weights', 'w.pth', '--epochs', '3', '--steps', '100'], /give --epochs or --steps, not both/],
      [['--weights', 'w.pth', '--seeds', '0'], /--seeds must be an integer ≥ 1/],
      [['--weights', 'w.pth', '--augment', 'warp'], /warp/],
    ];
    for (const [extra, want] of cases) {
      const r = await cli([...base, ...extra]);
      assert.equal(r.code, 2, `${extra.join(' ')}: ${r.err}`);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.match(r.err, want);
    }
    const file = join(tempDir('usfm-le-out-'), 'results.txt');
    writeFileSync(file, 'not a folder');
    const onFile = await cli([...base.slice(0, -1), file, '--weights', BUNDLED_PATH]);
    assert.equal(onFile.code, 1);
    assert.equal(onFile.err, `usfm: ${file}: --out is a file, not a folder\n`);
    assert.equal(readFileSync(file, 'utf8'), 'not a folder');
    const missing = await cli([...base, '--weights', join(tmpdir(), 'no-such-encoder.safetensors')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no-such-encoder\.safetensors: no such file/);
    const help = await cli(['label-efficiency', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /usfm label-efficiency --task seg\|cls --data ROOT --weights CKPT\|bundled --out DIR/);
  });
});

describe('usfm label-efficiency end to end', () => {
  it('pretrained vs scratch on hc18-mini: runs, results.json, plot, report; a re-run skips everything', async () => {
    const tmp = tempDir('usfm-le-cli-');
    const pt = await cli(['pretrain', '--data', join(DEMO_DATA, 'training_set', 'image'), '--model', 'vit-t', '--img-size', '32', '--mask-unit', '16',
      '--epochs', '1', '--epoch-length', '8', '--batch-size', '4', '--out', join(tmp, 'pt')]);
    assert.equal(pt.code, 0, pt.err);
    const out = join(tmp, 'study');
    const args = ['label-efficiency', '--task', 'seg', '--data', DEMO_DATA, '--weights', join(tmp, 'pt', 'encoder.safetensors'), '--model', 'vit-t',
      '--img-size', '32', '--batch-size', '8', '--epochs', '1', '--ratios', '0.5,1', '--seeds', '1', '--out', out];
    const r = await cli(args);
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
    assert.ok(res.complete);
    assert.deepEqual(res.runs.map((x) => [x.name, x.images, x.epochs, x.steps]), [
      ['pretrained-r0.5-s42', 20, 3, 6], ['scratch-r0.5-s42', 20, 3, 6], ['pretrained-r1-s42', 40, 1, 5], ['scratch-r1-s42', 40, 1, 5],
    ]);
    for (const run of res.runs) {
      assert.ok(run.metrics.dice! >= 0 && run.metrics.dice! <= 1 && run.seconds > 0, JSON.stringify(run));
      assert.ok('hd95Mm' in run.metrics && 'hcErrorMm' in run.metrics, 'HC18 mm metrics');
      assert.ok(existsSync(join(out, 'runs', run.name, 'best.safetensors')) && !existsSync(join(out, 'runs', run.name, 'resume')));
    }
    assert.equal(res.summary.length, 4);
    assert.match(r.err, /backbone from .*encoder\.safetensors/);
    assert.match(r.out, /Pretrained at (50|100)\u00a0% labels: Dice /);
    assert.deepEqual([(await sharp(join(out, 'plot.png')).metadata()).width], [1440]);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg [^]*pretrained-r0\.5-s42/);

    const again = await cli(args);
    assert.equal(again.code, 0, again.err);
    assert.equal((again.err.match(/done, skipped/g) ?? []).length, 4, again.err);
    assert.ok(!/epoch 1\//.test(again.err), 'nothing trained');
    // Killed between a run's last saved state and its last metrics line: the study still counts the run as
    // finished (by its state) and scores it, rather than resuming a finished run for ever.
    const runDir = join(out, 'runs', 'scratch-r1-s42');
    rmSync(runDir, { recursive: true });
    const ft = await cli(['finetune', '--task', 'seg', '--data', DEMO_DATA, '--weights', 'none', '--model', 'vit-t', '--img-size', '32',
      '--batch-size', '8', '--epochs', '1', '--out', runDir]);
    assert.equal(ft.code, 0, ft.err);
    writeFileSync(join(runDir, 'metrics.jsonl'), '');
    const healed = await cli(args);
    assert.equal(healed.code, 0, healed.err);
    assert.match(healed.err, /scratch-r1-s42: continuing the interrupted run[^]*finished \(1 epoch\), nothing to continue/);
    assert.ok((JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults).complete, healed.err);
    assert.ok(existsSync(join(runDir, 'test.json')));
    const other = await cli([...args.slice(0, -2), '--lr-scratch', '0.01', '--out', out]);
    assert.equal(other.code, 2);
    assert.match(other.err, /options\.json: this study was run with --lr-scratch 0\.0128, not --lr-scratch 0\.01/);
  });
});

describe('usfm label-efficiency --merge', () => {
  it('writes the merged results, plot and report; other flags, one study and a mismatch are refused', async () => {
    const tmp = tempDir('usfm-le-merge-');
    const whole = fakeStudy({ pretrained: { 0.5: [0.9, 0.92], 1: [0.95, 0.97] }, scratch: { 0.5: [0.7, 0.72], 1: [0.9, 0.94] } });
    const part = (seed: number, over: Partial<StudyResults['options']> = {}): string => {
      const runs = whole.runs.filter((x) => x.seed === seed);
      const dir = join(tmp, `s${seed}${Object.keys(over).join('')}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'results.json'), JSON.stringify({ ...whole, options: { ...whole.options, seeds: [seed], ...over }, runs, summary: aggregate(runs) }));
      return dir;
    };
    const [a, b] = [part(42), part(43)];
    const out = join(tmp, 'merged');
    const r = await cli(['label-efficiency', '--merge', `${a},${b}`, '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /100\u00a0%  pretrained  0\.960 ± 0\.014 {2}\(n 2\)/);
    assert.match(r.out, /Wrote .*merged\/results\.json/);
    assert.doesNotMatch(r.out, /Incomplete/);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
    assert.deepEqual([res.runs.length, res.options.seeds, res.mergedFrom], [8, [42, 43], [join(a, 'results.json'), join(b, 'results.json')]]);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<dt>merged from<\/dt><dd>[^<]*s42\/results\.json, [^<]*s43\/results\.json<\/dd>/);
    assert.ok(existsSync(join(out, 'plot.png')) && existsSync(join(out, 'plot.svg')));

    const only = await cli(['label-efficiency', '--merge', a, '--out', join(tmp, 'm2')]);
    assert.deepEqual([only.code, only.err.trim()], [2, 'usfm: --merge needs at least two studies, comma-separated']);
    const extra = await cli(['label-efficiency', '--merge', `${a},${b}`, '--task', 'seg', '--out', join(tmp, 'm2')]);
    assert.equal(extra.code, 2);
    assert.match(extra.err, /--merge takes only --out \(the studies' own options are merged\), not --task/);
    const other = part(43, { imgSize: 64 });
    const bad = await cli(['label-efficiency', '--merge', `${a},${other}`, '--out', join(tmp, 'm2')]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /s43imgSize\/results\.json: trained with --img-size 64, but .*s42\/results\.json with --img-size 32; only studies of the same recipe merge/);
    assert.ok(!existsSync(join(tmp, 'm2')));
  });
});
