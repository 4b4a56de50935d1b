// Label-efficiency study: budget rule, run plan, aggregation, and the resumable orchestration (fake runner, no training).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunResult, Runner, RunSpec, StudyOptions, StudyResults } from './label_efficiency.js';
import { aggregate, batchesPerEpoch, labelEfficiency, planBudget, planRuns, runName } from './label_efficiency.js';
import { StudyOptionsError } from './study_io.js';
import { takeStopSignal } from './stop.js';
import { tempDir } from '../testing/temp_dir.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';

const HC18 = fileURLToPath(new URL('../../samples/hc18-mini', import.meta.url));
const tmp = tempDir('usfm-le-');
const weights = join(tmp, 'encoder.safetensors');
writeFileSync(weights, 'not read by the fake runner');

const options = (over: Partial<StudyOptions> = {}): StudyOptions => ({
  task: 'seg', data: HC18, weights, model: 'vit-t', head: 'upernet', imgSize: 32, batchSize: 8, budget: { unit: 'epochs', value: 30 },
  lrPretrained: 3.2e-3, lrScratch: 1.28e-2, layerDecayPretrained: 0.65, ratios: [0.5, 1], seeds: [42, 43], arms: ['pretrained', 'scratch'], ...over,
});

/** Dice from the run's identity, so results are checkable: pretrained 0.9, scratch 0.7, + 0.1·ratio, + 0.01·(seed − 42). */
const diceOf = (s: Pick<RunSpec, 'arm' | 'ratio' | 'seed'>): number => (s.arm === 'pretrained' ? 0.9 : 0.7) + 0.1 * s.ratio + 0.01 * (s.seed - 42);

function fakeRunner(stopAt = -1): { runner: Runner; calls: RunSpec[] } {
  const calls: RunSpec[] = [];
  const runner: Runner = async (spec) => {
    calls.push(spec);
    if (calls.length === stopAt) return null;
    return { dice: diceOf(spec), iou: NaN };
  };
  return { runner, calls };
}

const quiet = (): void => undefined;

describe('budget', () => {
  it('counts optimizer steps per epoch as the training loader does', () => {
    assert.equal(batchesPerEpoch(40, 8), 5);
    assert.equal(batchesPerEpoch(17, 8), 2); // two full batches: the partial one is dropped
    assert.equal(batchesPerEpoch(12, 8), 2); // fewer than two: kept
    assert.equal(batchesPerEpoch(4, 8), 1);
  });

  it('gives every ratio the same number of steps: ceil(budget / batches per epoch) epochs', () => {
    const images: Record<number, number> = { 0.1: 4, 0.2: 8, 0.5: 20, 1: 40 };
    const plan = planBudget({ unit: 'epochs', value: 30 }, 8, [0.1, 0.2, 0.5, 1], (r) => images[r]!);
    assert.equal(plan.steps, 150);
    assert.equal(plan.warmupSteps, 10); // 2 epochs at 100 %, as finetune's default
    assert.deepEqual(plan.ratios.map((p) => [p.ratio, p.batchesPerEpoch, p.epochs, p.steps, p.warmupEpochs, p.valEvery]), [
      [0.1, 1, 150, 150, 10, 5], [0.2, 1, 150, 150, 10, 5], [0.5, 2, 75, 150, 5, 2], [1, 5, 30, 150, 2, 1],
    ]);
    const odd = planBudget({ unit: 'steps', value: 7 }, 8, [0.3, 1], (r) => (r === 1 ? 40 : 12));
    assert.equal(odd.steps, 7);
    for (const p of odd.ratios) assert.ok(p.steps >= 7 && p.steps - 7 < p.batchesPerEpoch, JSON.stringify(p));
    // 12 images at batch 8: finetune keeps the partial batch (2 steps per epoch), so warm-up epochs halve.
    const small = planBudget({ unit: 'epochs', value: 10 }, 8, [0.3, 1], (r) => (r === 1 ? 40 : 12));
    for (const p of small.ratios) assert.equal(p.warmupEpochs * p.batchesPerEpoch, small.warmupSteps, JSON.stringify(p));
    assert.equal(small.ratios[0]!.warmupEpochs, 5);
    assert.equal(planBudget({ unit: 'epochs', value: 1 }, 8, [1], () => 40).warmupSteps, 0);
  });

  it('plans seed-major runs; scratch has no weights, no layer decay and its own lr; both arms share a seed', () => {
    const o = options({ ratios: [0.5, 1], layerDecayPretrained: 0.8, segChannels: 32 });
    const specs = planRuns(o, '/out', planBudget(o.budget, 8, o.ratios, (r) => 40 * r));
    assert.deepEqual(specs.map((s) => s.name), ['pretrained-r0.5-s42', 'scratch-r0.5-s42', 'pretrained-r1-s42', 'scratch-r1-s42',
      'pretrained-r0.5-s43', 'scratch-r0.5-s43', 'pretrained-r1-s43', 'scratch-r1-s43']);
    const [p, s] = [specs[0]!.finetune, specs[1]!.finetune];
    assert.deepEqual([p.weights, p.layerDecay, p.lr, p.epochs, p.labelRatio, p.seed, p.out], [weights, 0.8, 3.2e-3, 75, 0.5, 42, join('/out', 'runs', 'pretrained-r0.5-s42')]);
    assert.deepEqual([p.segChannels, s.segChannels], [32, 32]);
    const cls = options({ task: 'cls', classWeights: 'balanced' });
    assert.ok(planRuns(cls, '/out', planBudget(cls.budget, 8, cls.ratios, (r) => 40 * r)).every((r) => r.finetune.classWeights === 'balanced'));
    assert.deepEqual([s.weights, s.layerDecay, s.lr, s.epochs, s.labelRatio, s.seed], [null, 1, 1.28e-2, 75, 0.5, 42]);
    assert.equal(runName('scratch', 0.1, 7), 'scratch-r0.1-s7');
  });
});

describe('aggregate', () => {
  const run = (arm: 'pretrained' | 'scratch', ratio: number, seed: number, dice: number, hd95 = NaN): RunResult => ({
    name: runName(arm, ratio, seed), arm, ratio, seed, images: 40 * ratio, epochs: 1, steps: 5, seconds: 1, metrics: { dice, hd95 },
  });
  it('takes mean ± sample std over seeds per ratio and arm, leaving undefined values out', () => {
    const s = aggregate([run('scratch', 1, 1, 0.8), run('pretrained', 1, 1, 0.8, 3), run('pretrained', 1, 2, 0.9, 5), run('pretrained', 1, 3, 1.0), run('pretrained', 0.5, 1, 0.5)]);
    assert.deepEqual(s.map((x) => [x.ratio, x.arm, x.runs, x.images]), [[0.5, 'pretrained', 1, 20], [1, 'pretrained', 3, 40], [1, 'scratch', 1, 40]]);
    const d = s[1]!.metrics.dice!;
    assert.ok(Math.abs(d.mean - 0.9) < 1e-12 && Math.abs(d.std - 0.1) < 1e-12 && d.n === 3, JSON.stringify(d));
    assert.deepEqual({ ...s[1]!.metrics.hd95! }, { mean: 4, std: Math.SQRT2, n: 2, excluded: 1 });
    assert.ok(Number.isNaN(s[2]!.metrics.dice!.std), 'one seed: no std');
  });
});

describe('labelEfficiency (fake runner)', () => {
  it('runs every arm × ratio × seed, writes test.json per run and results.json, then skips them all on a re-run', async () => {
    const out = join(tmp, 'study');
    const { runner, calls } = fakeRunner();
    const r = await labelEfficiency(options(), out, quiet, runner);
    assert.equal(calls.length, 8);
    assert.deepEqual(calls.map((c) => c.finetune.epochs), [75, 75, 30, 30, 75, 75, 30, 30]);
    assert.ok(r.complete);
    assert.equal(r.metric, 'dice');
    const pre = r.summary.find((s) => s.arm === 'pretrained' && s.ratio === 0.5)!;
    assert.ok(Math.abs(pre.metrics.dice!.mean - 0.955) < 1e-12 && Math.abs(pre.metrics.dice!.std - 0.01 / Math.SQRT2) < 1e-12 && pre.metrics.dice!.n === 2);
    assert.equal(pre.images, 20);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
    assert.equal(saved.runs.length, 8);
    assert.equal(saved.runs[0]!.metrics.iou, null, 'NaN is written as null');
    assert.equal(saved.budget.steps, 150);
    assert.ok(existsSync(join(out, 'runs', 'scratch-r1-s43', 'test.json')));

    const again = fakeRunner();
    const lines: string[] = [];
    const r2 = await labelEfficiency(options(), out, (l) => lines.push(l), again.runner);
    assert.equal(again.calls.length, 0);
    assert.equal(lines.filter((l) => / done, skipped /.test(l)).length, 8, lines.join('\n'));
    assert.deepEqual(r2.summary.map((s) => s.metrics.dice!.mean), r.summary.map((s) => s.metrics.dice!.mean));
    assert.ok(Number.isNaN(r2.runs[0]!.metrics.iou!), 'null is read back as NaN');
  });

  it('records the validation scores each run was chosen by, and finds them for runs finished before it did', async () => {
    const out = join(tmp, 'study-val');
    // As finetune leaves a run folder: best.safetensors records its epoch, metrics.jsonl every epoch's scores.
    const runFolder = async (dir: string, checkpoint: string, epoch: number, rows: readonly object[]): Promise<void> => {
      mkdirSync(dir, { recursive: true });
      await writeSafetensors(join(dir, checkpoint), [], { 'usfm.epoch': String(epoch) });
      writeFileSync(join(dir, 'metrics.jsonl'), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    };
    const runner: Runner = async (spec) => {
      const v = diceOf(spec);
      // The scratch run at 50 % lost its best epoch's line (a crash between the resume state and the log): no val, not another epoch's.
      const lost = spec.arm === 'scratch' && spec.ratio === 0.5;
      // The pretrained run at 50 % never improved on val (no best.safetensors): it is scored by its last checkpoint, epoch 3.
      const noBest = spec.arm === 'pretrained' && spec.ratio === 0.5;
      // Each epoch's line says how it computed denormals: the pretrained runs flushed them, the scratch runs did not say (older lines).
      const mode = spec.arm === 'pretrained' ? { denormals: 'flush' } : {};
      await runFolder(spec.finetune.out, noBest ? 'last.safetensors' : 'best.safetensors', noBest ? 3 : 2, [
        { epoch: 1, val: { dice: v - 0.2 }, best: !noBest, ...mode }, ...(lost ? [] : [{ epoch: 2, val: { dice: v, iou: null }, best: !noBest, ...mode }]),
        { epoch: 3, val: { dice: v - 0.1 }, ...mode },
      ]);
      return { dice: v - 0.05 };
    };
    const r = await labelEfficiency(options({ seeds: [42] }), out, quiet, runner);
    const pre = r.runs.find((x) => x.name === 'pretrained-r1-s42')!;
    assert.equal(pre.val?.epoch, 2);
    assert.ok(Math.abs(pre.val!.metrics.dice! - 1.0) < 1e-12 && Number.isNaN(pre.val!.metrics.iou!), JSON.stringify(pre.val));
    assert.equal(r.runs.find((x) => x.name === 'scratch-r0.5-s42')!.val, undefined);
    const noBest = r.runs.find((x) => x.name === 'pretrained-r0.5-s42')!;
    assert.equal(noBest.val?.epoch, 3, 'a run without best.safetensors records the val scores of its last checkpoint, which it is scored by');
    assert.ok(Math.abs(noBest.val!.metrics.dice! - (diceOf({ arm: 'pretrained', ratio: 0.5, seed: 42 }) - 0.1)) < 1e-12);
    const saved = JSON.parse(readFileSync(join(out, 'runs', 'pretrained-r1-s42', 'test.json'), 'utf8')) as RunResult;
    assert.deepEqual(saved.val, { epoch: 2, metrics: { dice: pre.val!.metrics.dice, iou: null } });
    assert.equal(saved.denormals, 'flush');
    assert.deepEqual(r.runs.map((x) => x.denormals), ['flush', 'ieee', 'flush', 'ieee']);

    // A run finished by an older version (no val in test.json) gets it from its folder on the next invocation.
    const old = join(out, 'runs', 'scratch-r1-s42', 'test.json');
    const { val: _dropped, ...bare } = JSON.parse(readFileSync(old, 'utf8')) as RunResult;
    writeFileSync(old, JSON.stringify(bare));
    const r2 = await labelEfficiency(options({ seeds: [42] }), out, quiet, fakeRunner().runner);
    assert.equal(r2.runs.find((x) => x.name === 'scratch-r1-s42')!.val?.epoch, 2);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
    assert.deepEqual(results.runs.map((x) => x.val?.epoch ?? null), [3, null, 2, 2]);
  });

  it('a signal while a run finishes or is scored stops the study after that run (kept), not later', async () => {
    const out = join(tmp, 'signalled');
    const calls: string[] = [];
    // The signal arrives as the second run completes (finetune's last step or the test scoring): no run stops
    // early, but the study must not go on to the third.
    const runner: Runner = async (spec) => {
      calls.push(spec.name);
      if (calls.length === 2) process.emit('SIGINT');
      return { dice: diceOf(spec), iou: NaN };
    };
    const lines: string[] = [];
    const listeners = process.listenerCount('SIGINT');
    const r = await labelEfficiency(options({ seeds: [1] }), out, (l) => lines.push(l), runner);
    assert.equal(r.complete, false);
    assert.deepEqual(calls, ['pretrained-r0.5-s1', 'scratch-r0.5-s1']);
    assert.deepEqual(r.runs.map((x) => x.name), calls);
    assert.ok(lines.includes('stopped after scratch-r0.5-s1; run the same command again to continue'), lines.join('\n'));
    assert.equal(process.listenerCount('SIGINT'), listeners, 'the handler is removed');
    assert.equal(takeStopSignal(), 'SIGINT', 'cut short: the CLI exits 130');
    const again = fakeRunner();
    assert.ok((await labelEfficiency(options({ seeds: [1] }), out, quiet, again.runner)).complete);
    assert.deepEqual(again.calls.map((c) => c.name), ['pretrained-r1-s1', 'scratch-r1-s1']);
    assert.equal(takeStopSignal(), null);
  });

  it('a signal while the last run is scored stops nothing: the study is complete, and not reported as cut short', async () => {
    takeStopSignal();
    let n = 0;
    const runner: Runner = async (spec) => {
      if (++n === 4) process.emit('SIGTERM');
      return { dice: diceOf(spec) };
    };
    const r = await labelEfficiency(options({ seeds: [1] }), join(tmp, 'late-signal'), quiet, runner);
    assert.deepEqual([r.complete, r.runs.length, takeStopSignal()], [true, 4, null]);
  });

  it('stops when a run is interrupted and continues from that run on the next invocation', async () => {
    const out = join(tmp, 'interrupted');
    const first = fakeRunner(3);
    // The interrupted run leaves a saved state, as finetune does, with the time spent so far.
    const interrupted: Runner = async (spec, log, stop) => {
      const m = await first.runner(spec, log, stop);
      if (m === null) {
        mkdirSync(spec.finetune.out, { recursive: true });
        writeFileSync(join(spec.finetune.out, 'state.json'), JSON.stringify({ epoch: 0, batchesDone: 1, globalStep: 1, bestScore: 0, rng: 1, seconds: 1000 }));
      }
      return m;
    };
    const r = await labelEfficiency(options(), out, quiet, interrupted);
    assert.equal(r.complete, false);
    assert.equal(r.runs.length, 2);
    assert.ok(!existsSync(join(out, 'runs', 'pretrained-r1-s42', 'test.json')));
    const second = fakeRunner();
    const r2 = await labelEfficiency(options(), out, quiet, second.runner);
    assert.deepEqual(second.calls.map((c) => c.name), ['pretrained-r1-s42', 'scratch-r1-s42', 'pretrained-r0.5-s43', 'scratch-r0.5-s43', 'pretrained-r1-s43', 'scratch-r1-s43']);
    assert.ok(r2.complete);
    assert.equal(r2.runs.length, 8);
    // The continued run's wall time counts the earlier invocation's saved seconds; the others' do not.
    assert.deepEqual(r2.runs.filter((x) => x.seconds >= 1000).map((x) => x.name), ['pretrained-r1-s42']);
  });

  it('a run that fails leaves the results of the runs before it in results.json, and rethrows', async () => {
    const out = join(tmp, 'failing');
    let n = 0;
    const runner: Runner = async (spec) => {
      if (++n === 3) throw new Error('run 3: loss is NaN');
      return { dice: diceOf(spec) };
    };
    await assert.rejects(labelEfficiency(options({ seeds: [1] }), out, quiet, runner), /run 3: loss is NaN/);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
    assert.deepEqual([saved.complete, saved.runs.map((x) => x.name)], [false, ['pretrained-r0.5-s1', 'scratch-r0.5-s1']]);
    const again = fakeRunner();
    assert.ok((await labelEfficiency(options({ seeds: [1] }), out, quiet, again.runner)).complete);
    assert.deepEqual(again.calls.map((c) => c.name), ['pretrained-r1-s1', 'scratch-r1-s1']);
    // A failure before runs that an earlier invocation finished keeps those in results.json too.
    rmSync(join(out, 'runs', 'scratch-r0.5-s1'), { recursive: true });
    await assert.rejects(labelEfficiency(options({ seeds: [1] }), out, quiet, async () => { throw new Error('disk full'); }), /disk full/);
    const kept = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
    assert.deepEqual([kept.complete, kept.runs.map((x) => x.name)], [false, ['pretrained-r0.5-s1', 'pretrained-r1-s1', 'scratch-r1-s1']]);
  });

  it('names a damaged test.json or options.json and says what to do', async () => {
    const out = join(tmp, 'damaged');
    await labelEfficiency(options({ seeds: [1] }), out, quiet, fakeRunner().runner);
    const test = join(out, 'runs', 'scratch-r1-s1', 'test.json');
    writeFileSync(test, '{"name": "scr');
    await assert.rejects(labelEfficiency(options({ seeds: [1] }), out, quiet, fakeRunner().runner),
      (e: Error) => e.message.startsWith(`${test}: cannot read a run's test result (`) && e.message.endsWith('; delete it, and re-running trains that run again'));
    for (const bad of ['{}', '{"name": "scratch-r1-s1", "metrics": {}, "denormals": "daz"}']) {
      writeFileSync(test, bad);
      await assert.rejects(labelEfficiency(options({ seeds: [1] }), out, quiet, fakeRunner().runner),
        { message: `${test}: not a run's test result; delete it, and re-running trains that run again` });
    }
    writeFileSync(join(out, 'options.json'), '{"task": "se');
    await assert.rejects(labelEfficiency(options({ seeds: [1] }), out, quiet, fakeRunner().runner),
      /options\.json: cannot read the study's options \(.+\); restore it, or use another --out$/);
  });

  it('refuses a re-run with different options, naming the difference; the pretrained arm needs weights', async () => {
    const out = join(tmp, 'study-opts');
    await labelEfficiency(options({ seeds: [1] }), out, quiet, fakeRunner().runner);
    await assert.rejects(labelEfficiency(options({ seeds: [1], ratios: [0.2, 1] }), out, quiet, fakeRunner().runner),
      (e: Error) => e instanceof StudyOptionsError && /options\.json: this study was run with --ratios 0\.5,1, not --ratios 0\.2,1/.test(e.message));
    await assert.rejects(labelEfficiency(options({ seeds: [1], budget: { unit: 'steps', value: 100 } }), out, quiet, fakeRunner().runner),
      /run with --epochs 30, not --steps 100/);
    // Seeds show as the flags that give them (--seeds COUNT --seed FIRST), not as the list.
    await assert.rejects(labelEfficiency(options({ seeds: [1, 2] }), out, quiet, fakeRunner().runner),
      /run with --seeds 1 --seed 1, not --seeds 2 --seed 1/);
    // The same weights at another path continue the study; other weights do not.
    const copy = join(tmp, 'copy.safetensors');
    copyFileSync(weights, copy);
    const moved = fakeRunner();
    assert.equal((await labelEfficiency(options({ seeds: [1], weights: copy }), out, quiet, moved.runner)).runs.length, 4);
    assert.equal(moved.calls.length, 0);
    const other = join(tmp, 'other.safetensors');
    writeFileSync(other, 'other weights');
    await assert.rejects(labelEfficiency(options({ seeds: [1], weights: other }), out, quiet, fakeRunner().runner),
      /run with --weights .*encoder\.safetensors \(sha256 [0-9a-f]{12}…\), not --weights .*other\.safetensors \(sha256 [0-9a-f]{12}…\)/);
    // Weights are known by content: other weights at the recorded path (a replaced bundled file) are refused too.
    const recordedOpts = JSON.parse(readFileSync(join(out, 'options.json'), 'utf8')) as StudyOptions;
    assert.equal(recordedOpts.weightsSha256, createHash('sha256').update(readFileSync(weights)).digest('hex'));
    const replaced = join(tmp, 'replaced.safetensors');
    copyFileSync(weights, replaced);
    const atReplaced = join(tmp, 'study-replaced');
    await labelEfficiency(options({ seeds: [1], weights: replaced }), atReplaced, quiet, fakeRunner().runner);
    writeFileSync(replaced, 'new weights at the same path');
    await assert.rejects(labelEfficiency(options({ seeds: [1], weights: replaced }), atReplaced, quiet, fakeRunner().runner),
      /run with --weights .*replaced\.safetensors \(sha256 [0-9a-f]{12}…\), not --weights .*replaced\.safetensors \(sha256 /);
    await assert.rejects(labelEfficiency(options({ weights: null }), join(tmp, 'x'), quiet, fakeRunner().runner), /pretrained arm needs encoder weights/);
    await assert.rejects(labelEfficiency(options({ weights: join(tmp, 'missing.pth') }), join(tmp, 'y'), quiet, fakeRunner().runner), /missing\.pth: no such file/);
    // Before any run has finished or saved progress, new options replace the old ones (and the leftover run folders).
    const early = join(tmp, 'early');
    await labelEfficiency(options({ seeds: [1] }), early, quiet, fakeRunner(1).runner);
    const lines: string[] = [];
    const retry = fakeRunner();
    await labelEfficiency(options({ seeds: [1], lrScratch: 0.02 }), early, (l) => lines.push(l), retry.runner);
    assert.equal(retry.calls.length, 4);
    assert.equal(retry.calls[1]!.finetune.lr, 0.02);
    assert.ok(lines.some((l) => /no run had made progress with the old options \(--lr-scratch 0\.0128, not --lr-scratch 0\.02\)/.test(l)), lines.join('\n'));
    // An interrupted run with saved progress is never thrown away by other options: they are refused, naming it.
    const saved = join(tmp, 'saved-progress');
    await labelEfficiency(options({ seeds: [1] }), saved, quiet, fakeRunner(1).runner);
    const state = join(saved, 'runs', 'pretrained-r0.5-s1', 'state.json');
    mkdirSync(dirname(state), { recursive: true });
    writeFileSync(state, '{}');
    await assert.rejects(labelEfficiency(options({ seeds: [1], lrScratch: 0.02 }), saved, quiet, fakeRunner().runner),
      (e: Error) => e instanceof StudyOptionsError && e.message.includes(`the interrupted run ${dirname(state)} was trained with --lr-scratch 0.0128, not --lr-scratch 0.02`) &&
        e.message.endsWith(`delete ${join(saved, 'runs')})`));
    assert.ok(existsSync(state));
    // A study recorded before --layer-decay-pretrained existed ran its pretrained arm at 0.65: that still matches.
    const legacy = join(tmp, 'legacy');
    await labelEfficiency(options({ seeds: [1] }), legacy, quiet, fakeRunner().runner);
    const recorded = JSON.parse(readFileSync(join(legacy, 'options.json'), 'utf8')) as Record<string, unknown>;
    delete recorded.layerDecayPretrained;
    delete recorded.weightsSha256; // and before the weights' hash was recorded
    writeFileSync(join(legacy, 'options.json'), JSON.stringify(recorded));
    const notes: string[] = [];
    const continued = await labelEfficiency(options({ seeds: [1] }), legacy, (l) => notes.push(l), fakeRunner().runner);
    assert.equal(continued.runs.length, 4);
    // Its results do not claim a hash it never recorded (today's file may not be the one it trained with).
    assert.equal(continued.options.weightsSha256, undefined);
    assert.ok(notes.some((l) => l.includes('this study recorded no hash of its weights')), notes.join('\n'));
    await assert.rejects(labelEfficiency(options({ seeds: [1], layerDecayPretrained: 1 }), legacy, quiet, fakeRunner().runner),
      /run with --layer-decay-pretrained 0\.65, not --layer-decay-pretrained 1/);
    const scratchOnly = fakeRunner();
    await labelEfficiency(options({ weights: null, arms: ['scratch'], seeds: [1] }), join(tmp, 'z'), quiet, scratchOnly.runner);
    assert.deepEqual(scratchOnly.calls.map((c) => c.name), ['scratch-r0.5-s1', 'scratch-r1-s1']);
    // A scratch-only study never reads the weights: other weights at its --weights path change nothing.
    const unused = join(tmp, 'unused.safetensors');
    writeFileSync(unused, 'weights a');
    const zz = join(tmp, 'zz');
    const first = await labelEfficiency(options({ weights: unused, arms: ['scratch'], seeds: [1] }), zz, quiet, fakeRunner().runner);
    assert.equal(first.options.weightsSha256, undefined);
    writeFileSync(unused, 'weights b');
    assert.ok((await labelEfficiency(options({ weights: unused, arms: ['scratch'], seeds: [1] }), zz, quiet, fakeRunner().runner)).complete);
    // A hand-edited hash is a damaged options.json, named.
    const opts = join(out, 'options.json');
    writeFileSync(opts, JSON.stringify({ ...JSON.parse(readFileSync(opts, 'utf8')) as object, weightsSha256: 42 }));
    await assert.rejects(labelEfficiency(options({ seeds: [1] }), out, quiet, fakeRunner().runner), { message: `${opts}: not a study's options (weightsSha256 is not a SHA-256; restore it, or use another --out)` });
  });
});
