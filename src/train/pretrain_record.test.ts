// The pretraining record on --resume: read from the saved checkpoint (a damaged one is named), and the data check.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import type { PretrainSource } from '../data/pretrain/sources.js';
import { objectiveOptions } from '../pretrain/options.js';
import { checkSameSources, RECORD_KEY, savedRecord, trainingRecord } from './pretrain_record.js';
import { tempDir } from '../testing/temp_dir.js';

const source = (name: string, n: number): PretrainSource => ({
  name, root: `/d/${name}`, notes: [], items: Array.from({ length: n }, (_, i) => ({ path: `/d/${name}/${i}.png`, source: name })),
});

async function runWith(meta: Record<string, string>): Promise<string> {
  const dir = tempDir('usfm-record-');
  mkdirSync(join(dir, 'resume'));
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ epoch: 1, batchesDone: 0, globalStep: 3, rng: 1 }));
  await writeSafetensors(join(dir, 'resume', 'params-3.safetensors'), new Map([['w', { dtype: 'float32', shape: [1], data: new Float32Array(1) }]]), meta);
  return dir;
}

it('savedRecord: the record of the saved position, null without one, a named error when damaged', async () => {
  const record = trainingRecord(objectiveOptions({ fill: 'mean' }), [source('a', 2)], 'source', {
    model: 'vit-t', imgSize: 32, epochs: 2, epochLength: 0, batchSize: 4, accumSteps: 1, lr: 0.02, weightDecay: 0.05, warmupEpochs: 1,
    clipNorm: 5, dropPath: 0.1, flips: 'hv', seed: 1, weights: null,
  });
  const ok = await runWith({ [RECORD_KEY]: JSON.stringify(record) });
  assert.deepEqual((await savedRecord(ok))!.record, JSON.parse(JSON.stringify(record)));
  assert.equal(await savedRecord(await runWith({})), null);
  const bad = await runWith({ [RECORD_KEY]: '{"objective": ' });
  await assert.rejects(savedRecord(bad), (e: Error) => e.message.startsWith(`${join(bad, 'resume', 'params-3.safetensors')}: damaged training record (usfm.pretrain: `));
  const none = await runWith({ [RECORD_KEY]: '{"data": []}' });
  await assert.rejects(savedRecord(none), { message: `${join(none, 'resume', 'params-3.safetensors')}: damaged training record (usfm.pretrain without an objective); cannot resume this run` });
});

it('checkSameSources: names the first source whose images changed, a source gone or added', () => {
  const saved = trainingRecord(objectiveOptions(), [source('a', 2), source('b', 3)], 'source', {
    model: 'vit-t', imgSize: 32, epochs: 2, epochLength: 0, batchSize: 4, accumSteps: 1, lr: 0.02, weightDecay: 0.05, warmupEpochs: 1,
    clipNorm: 5, dropPath: 0.1, flips: 'hv', seed: 1, weights: null,
  });
  assert.doesNotThrow(() => checkSameSources('/run', saved, [source('a', 2), source('b', 3)]));
  assert.throws(() => checkSameSources('/run', saved, [source('a', 2), source('b', 4)]), /^Error: \/run: the data changed since this run started \(b: 3 images then, b: 4 images now\)/);
  assert.throws(() => checkSameSources('/run', saved, [source('a', 2)]), /\(b: 3 images then, missing now\)/);
  assert.throws(() => checkSameSources('/run', saved, [source('a', 2), source('b', 3), source('c', 1)]), /\(now also c: 1 image\)/);
  // A record from before sources were kept cannot be checked: accepted.
  assert.doesNotThrow(() => checkSameSources('/run', { ...saved, sources: undefined }, [source('z', 9)]));
});
