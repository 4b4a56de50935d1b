// Merging label-efficiency studies: two single-seed studies merge into exactly the two-seed study; recipes, plans,
// runs and weights that disagree are refused naming the file; damaged inputs and an --out holding a study too.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Runner, StudyOptions, StudyResults } from './label_efficiency.js';
import { labelEfficiency } from './label_efficiency.js';
import { mergeStudies, mergeStudyFolders, readStudyResults } from './study_merge.js';
import { tempDir } from '../testing/temp_dir.js';

const HC18 = fileURLToPath(new URL('../../samples/hc18-mini', import.meta.url));
const tmp = tempDir('usfm-merge-');
const weights = join(tmp, 'encoder.safetensors');
writeFileSync(weights, 'not read by the fake runner');

const options = (over: Partial<StudyOptions> = {}): StudyOptions => ({
  task: 'seg', data: HC18, weights, model: 'vit-t', head: 'upernet', imgSize: 32, batchSize: 8, budget: { unit: 'epochs', value: 30 },
  lrPretrained: 3.2e-3, lrScratch: 1.28e-2, layerDecayPretrained: 0.65, ratios: [0.5, 1], seeds: [42], arms: ['pretrained', 'scratch'], ...over,
});

/** Dice from the run's identity (pretrained 0.9, scratch 0.7, + 0.1·ratio, + 0.01·(seed − 42)), so merged numbers are checkable. */
const runner: Runner = async (spec) => ({ dice: (spec.arm === 'pretrained' ? 0.9 : 0.7) + 0.1 * spec.ratio + 0.01 * (spec.seed - 42), iou: NaN });
const quiet = (): void => undefined;

let n = 0;
async function study(over: Partial<StudyOptions>): Promise<string> {
  const out = join(tmp, `study-${n++}`);
  await labelEfficiency(options(over), out, quiet, runner);
  return out;
}

/** What must not depend on how the study was split: everything but wall times and the merge record. */
const comparable = (r: StudyResults): unknown => ({
  ...r, seconds: undefined, mergedFrom: undefined, runs: r.runs.map((x) => ({ ...x, seconds: undefined })),
});

describe('label-efficiency --merge', () => {
  it('two single-seed studies merge into the two-seed study run in one go', async () => {
    const [a, b, both] = [await study({ seeds: [43] }), await study({ seeds: [42] }), await study({ seeds: [42, 43] })];
    const notes: string[] = [];
    const out = join(tmp, 'merged');
    const merged = await mergeStudyFolders([a, join(b, 'results.json')], out, (l) => notes.push(l));
    const whole = JSON.parse(readFileSync(join(both, 'results.json'), 'utf8')) as StudyResults;
    assert.ok(merged.complete);
    assert.deepEqual(merged.runs.map((x) => x.name), whole.runs.map((x) => x.name)); // seed-major order, whatever the input order
    assert.deepEqual(comparable((await readStudyResults(out)).results), comparable((await readStudyResults(both)).results));
    assert.deepEqual(merged.summary.map((s) => [s.arm, s.ratio, s.runs, s.metrics.dice!.n]), [
      ['pretrained', 0.5, 2, 2], ['scratch', 0.5, 2, 2], ['pretrained', 1, 2, 2], ['scratch', 1, 2, 2]]);
    assert.ok(Math.abs(merged.summary[0]!.metrics.dice!.mean - 0.955) < 1e-12);
    assert.deepEqual(merged.mergedFrom, [join(a, 'results.json'), join(b, 'results.json')]);
    assert.deepEqual(notes, []);
    // A merge can be redone into the same folder (the inputs are read before anything is written)…
    await mergeStudyFolders([a, b], out, quiet);
    // …but not into one of its inputs; merging a merge records the studies it came from.
    const c = await study({ seeds: [44] });
    await assert.rejects(mergeStudyFolders([out, c], out, quiet), (e: Error) => e.message === `${out}: is one of the studies merged; write the merged results to another --out`);
    const again = await mergeStudyFolders([out, c], join(tmp, 'merged-again'), quiet);
    assert.deepEqual(again.mergedFrom, [join(a, 'results.json'), join(b, 'results.json'), join(c, 'results.json')]);
    assert.deepEqual(again.options.seeds, [42, 43, 44]);
  });

  it('is incomplete when the union of seeds × ratios × arms lacks a run; other ratios and arms merge', async () => {
    const a = await study({ seeds: [42], ratios: [0.5, 1] });
    const b = await study({ seeds: [43], ratios: [1], arms: ['scratch'] });
    const r = await mergeStudies([await readStudyResults(a), await readStudyResults(b)]);
    assert.equal(r.complete, false);
    assert.deepEqual([r.options.seeds, r.options.ratios, r.options.arms], [[42, 43], [0.5, 1], ['pretrained', 'scratch']]);
    assert.deepEqual(r.runs.map((x) => x.name), ['pretrained-r0.5-s42', 'scratch-r0.5-s42', 'pretrained-r1-s42', 'scratch-r1-s42', 'scratch-r1-s43']);
    const c = await study({ seeds: [43], ratios: [0.5] });
    const d = await study({ seeds: [43], ratios: [1] });
    assert.ok((await mergeStudies([await readStudyResults(a), await readStudyResults(c), await readStudyResults(d)])).complete);
  });

  it("compares an arm's own options only between studies that ran that arm, and takes them from one that did", async () => {
    // As `usfm label-efficiency --arms scratch` records them: no weights, the scratch recipe's defaults for the pretrained arm.
    const s = await readStudyResults(await study({ seeds: [43], arms: ['scratch'], weights: null, lrPretrained: 1.28e-2, layerDecayPretrained: 1 }));
    const p = await readStudyResults(await study({ seeds: [43], arms: ['pretrained'] }));
    const r = await mergeStudies([s, p]);
    assert.ok(r.complete);
    assert.deepEqual([r.options.arms, r.options.weights, r.options.lrPretrained, r.options.layerDecayPretrained], [['pretrained', 'scratch'], weights, 3.2e-3, 0.65]);
    const lr = await readStudyResults(await study({ seeds: [44], arms: ['scratch'], lrScratch: 1e-3 }));
    await assert.rejects(mergeStudies([s, p, lr]), (e: Error) => e.message.startsWith(`${lr.path}: trained with --lr-scratch 0.001, but ${s.path} with --lr-scratch 0.0128;`));
  });

  it('reads older studies as their re-run does (legacy defaults), and undefined metrics (null in JSON) as NaN', async () => {
    const old = await study({ seeds: [43] });
    const file = join(old, 'results.json');
    const r = JSON.parse(readFileSync(file, 'utf8')) as { options: Record<string, unknown>; runs: { metrics: Record<string, unknown> }[] };
    delete r.options.layerDecayPretrained; // recorded before --layer-decay-pretrained existed: 0.65
    assert.equal(r.runs[0]!.metrics.iou, null);
    writeFileSync(file, JSON.stringify(r));
    const read = await readStudyResults(old);
    assert.equal(read.results.options.layerDecayPretrained, 0.65);
    assert.ok(Number.isNaN(read.results.runs[0]!.metrics.iou));
    assert.ok((await mergeStudies([await readStudyResults(await study({ seeds: [42] })), read])).complete);
  });

  it('refuses other recipes, other splits, a run in two studies and other weights, naming the file', async () => {
    const a = await readStudyResults(await study({ seeds: [42] }));
    const lr = await readStudyResults(await study({ seeds: [43], lrPretrained: 1e-3 }));
    await assert.rejects(mergeStudies([a, lr]), (e: Error) => e.message.startsWith(`${lr.path}: trained with --lr-pretrained 0.001, but ${a.path} with --lr-pretrained 0.0032;`));
    const budget = await readStudyResults(await study({ seeds: [43], budget: { unit: 'epochs', value: 20 } }));
    await assert.rejects(mergeStudies([a, budget]), /trained with --epochs 20, but .* with --epochs 30;/);
    const images = { ...a.results.budget, ratios: a.results.budget.ratios.map((p) => ({ ...p, images: p.images + 1 })) };
    const split: typeof a = { path: '/x/results.json', results: { ...a.results, runs: [], budget: images } };
    await assert.rejects(mergeStudies([a, split]), /^Error: \/x\/results\.json: at ratio 0\.5 21 images × 75 epochs, but .* 20 × 75 \(another training split\?\)$/);
    const again = await readStudyResults(await study({ seeds: [42] }));
    await assert.rejects(mergeStudies([a, again]), (e: Error) => e.message === `${again.path}: run pretrained-r0.5-s42 is also in ${a.path}; a run may come from one study only`);
    const other = join(tmp, 'other.safetensors');
    writeFileSync(other, 'other bytes');
    const ow = await readStudyResults(await study({ seeds: [43], weights: other }));
    await assert.rejects(mergeStudies([a, ow]), /other\.safetensors \(sha256 [0-9a-f]{12}…\), which is not the same file as .*encoder\.safetensors \(sha256 [0-9a-f]{12}…\) in .*results\.json$/);
    const copy = join(tmp, 'copy.safetensors');
    writeFileSync(copy, readFileSync(weights));
    const cw = await readStudyResults(await study({ seeds: [43], weights: copy }));
    assert.ok((await mergeStudies([a, cw])).complete);
    // Weights are known by their recorded hash: a study run elsewhere (paths not here) merges without a doubt.
    const notes: string[] = [];
    const moved: typeof a = { ...cw, results: { ...cw.results, options: { ...cw.results.options, weights: '/elsewhere/encoder.safetensors', data: '/elsewhere/hc18' } } };
    assert.ok((await mergeStudies([a, moved], (l) => notes.push(l))).complete);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /data paths differ .*\/elsewhere\/hc18/);
    // Runs that flushed denormals merge with IEEE ones (below the noise of training, like another CPU): a note, and each run keeps its mode.
    notes.length = 0;
    const flushed: typeof a = { ...cw, path: '/f/results.json', results: { ...cw.results, runs: cw.results.runs.map((x) => ({ ...x, denormals: 'flush' as const })) } };
    const both = await mergeStudies([a, flushed], (l) => notes.push(l));
    assert.deepEqual(notes, [`note: ${a.path} computed with IEEE denormals, /f/results.json with denormals flushed to zero (not bit-identical arithmetic; each run records its mode)`]);
    assert.deepEqual(both.runs.map((x) => x.denormals ?? 'ieee'), ['ieee', 'ieee', 'ieee', 'ieee', 'flush', 'flush', 'flush', 'flush']);
    // An older study recorded no hash: with its weights path gone they cannot be compared (a note, not a refusal).
    const { weightsSha256: _hash, ...noHash } = moved.results.options;
    notes.length = 0;
    assert.ok((await mergeStudies([a, { ...moved, results: { ...moved.results, options: noHash } }], (l) => notes.push(l))).complete);
    assert.match(notes.join('\n'), /the weights cannot be compared here \(no hash recorded, and \/elsewhere\/encoder\.safetensors not found;/);
    // An older study (no hash, weights gone) first must not let two others with different hashes through; merged
    // with one of them, the result records no hash (the two could not be compared).
    const legacy: typeof a = { ...moved, path: '/old/results.json', results: { ...moved.results, runs: [], options: noHash } };
    const otherHash: typeof a = { ...ow, results: { ...ow.results, runs: [] } };
    await assert.rejects(mergeStudies([legacy, a, otherHash]), /other\.safetensors \(sha256 [0-9a-f]{12}…\), which is not the same file as .*encoder\.safetensors \(sha256 [0-9a-f]{12}…\) in /);
    const mixed = await mergeStudies([legacy, a], quiet);
    assert.equal(mixed.options.weightsSha256, undefined);
    assert.equal((await mergeStudies([a, cw])).options.weightsSha256, a.results.options.weightsSha256);
    // A recorded hash that is not one is a damaged file, named.
    const damaged = join(tmp, 'damaged-hash.json');
    writeFileSync(damaged, JSON.stringify({ ...a.results, options: { ...a.results.options, weightsSha256: 'abc' } }));
    await assert.rejects(readStudyResults(damaged), { message: `${damaged}: not a label-efficiency study's results (weightsSha256 is not a SHA-256)` });
    // Other weights at the same path (a replaced file) differ by hash.
    const replaced: typeof a = { path: '/y/results.json', results: { ...a.results, runs: [], options: { ...a.results.options, weightsSha256: '0'.repeat(64) } } };
    await assert.rejects(mergeStudies([a, replaced]), /^Error: \/y\/results\.json: pretrained from --weights .*encoder\.safetensors \(sha256 000000000000…\), which is not the same file as --weights .*encoder\.safetensors \(sha256 /);
    await assert.rejects(mergeStudies([a]), /at least two studies/);
  });

  it('STUDY:ARM takes one arm of a study: new weights\' pretrained runs merge with an earlier study\'s scratch runs', async () => {
    const old = await study({ seeds: [42] });
    const other = join(tmp, 'new-weights.safetensors');
    writeFileSync(other, 'new weights');
    const fresh = await study({ seeds: [42], arms: ['pretrained'], weights: other });
    // Whole, the two disagree on the weights and both hold the pretrained runs.
    await assert.rejects(mergeStudies([await readStudyResults(fresh), await readStudyResults(old)]), /which is not the same file as/);
    const out = join(tmp, 'merged-arm');
    const merged = await mergeStudyFolders([fresh, `${old}:scratch`], out, quiet);
    assert.ok(merged.complete);
    assert.deepEqual(merged.runs.map((x) => x.name), ['pretrained-r0.5-s42', 'scratch-r0.5-s42', 'pretrained-r1-s42', 'scratch-r1-s42']);
    assert.deepEqual(merged.runs.map((x) => Math.round(x.metrics.dice! * 1e9) / 1e9), [0.95, 0.75, 1, 0.8]);
    const want = (await readStudyResults(fresh)).results.options;
    assert.deepEqual([merged.options.arms, merged.options.weights, merged.options.weightsSha256], [['pretrained', 'scratch'], other, want.weightsSha256]);
    assert.deepEqual(merged.mergedFrom, [join(fresh, 'results.json'), `${join(old, 'results.json')}:scratch`]);
    // A merge of that merge keeps the marks; an arm the study did not run is named.
    const c = await study({ seeds: [43], arms: ['pretrained'], weights: other });
    assert.deepEqual((await mergeStudyFolders([out, c], join(tmp, 'merged-arm-2'), quiet)).mergedFrom?.slice(1, 2), [`${join(old, 'results.json')}:scratch`]);
    await assert.rejects(mergeStudyFolders([old, `${fresh}:scratch`], join(tmp, 'm-arm'), quiet), (e: Error) => e.message === `${join(fresh, 'results.json')}: ran no scratch arm (arms: pretrained)`);
    // The scratch part's recipe is still checked.
    const lr = await study({ seeds: [43], lrScratch: 1e-3 });
    await assert.rejects(mergeStudyFolders([old, `${lr}:scratch`], join(tmp, 'm-arm'), quiet), /trained with --lr-scratch 0\.001, but .* with --lr-scratch 0\.0128;/);
  });

  it('damaged inputs and an --out holding a study are one-line errors naming the file', async () => {
    const a = await study({ seeds: [42] });
    const bad = join(tmp, 'bad');
    mkdirSync(bad);
    await assert.rejects(mergeStudyFolders([a, bad], join(tmp, 'm1'), quiet), (e: Error) => e.message.startsWith(`${join(bad, 'results.json')}: cannot read a study's results (ENOENT)`));
    writeFileSync(join(bad, 'results.json'), '{"options": {"task": "seg"}, "runs": []}');
    await assert.rejects(mergeStudyFolders([a, bad], join(tmp, 'm1'), quiet), (e: Error) => e.message === `${join(bad, 'results.json')}: not a label-efficiency study's results (no study options)`);
    writeFileSync(join(bad, 'results.json'), '[1');
    await assert.rejects(mergeStudyFolders([a, bad], join(tmp, 'm1'), quiet), /results\.json: cannot read a study's results \(.*JSON/);
    const b = await study({ seeds: [43] });
    await assert.rejects(mergeStudyFolders([a, b], a, quiet), (e: Error) => e.message === `${a}: holds a study (options.json); write the merged results to another --out`);
    // …and the other way round: a study is not started over merged results.
    const merged = join(tmp, 'merged-here');
    await mergeStudyFolders([a, b], merged, quiet);
    await assert.rejects(labelEfficiency(options({ seeds: [44] }), merged, quiet, runner), (e: Error) => e.message === `${merged}: holds a results.json but no study (merged results?); choose another --out`);
    const file = join(tmp, 'file');
    writeFileSync(file, 'x');
    await assert.rejects(mergeStudyFolders([a, b], file, quiet), /--out is a file/);
    assert.equal(readFileSync(file, 'utf8'), 'x');
  });
});
