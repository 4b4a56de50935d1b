// How runs computed denormal floats: read from a run's metrics.jsonl, joined over a study's runs.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../testing/temp_dir.js';
import { loggedDenormals, showDenormals, studyDenormals } from './denormals.js';

const tmp = tempDir('usfm-denormals-');

/** A run folder whose metrics.jsonl has one line per epoch with these modes (undefined: a line without the field). */
function run(name: string, modes: readonly (string | undefined)[]): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metrics.jsonl'), modes.map((d, i) => `${JSON.stringify({ epoch: i + 1, trainLoss: 1, ...(d === undefined ? {} : { denormals: d }) })}\n`).join(''));
  return dir;
}

describe('denormal modes', () => {
  it('a run is the mode of all its epochs, mixed when it was continued in the other', () => {
    assert.equal(loggedDenormals(run('flushed', ['flush', 'flush'])), 'flush');
    assert.equal(loggedDenormals(run('resumed', ['ieee', 'flush', 'flush'])), 'mixed');
    // Lines from before the field was written computed with IEEE denormals (the only mode then).
    assert.equal(loggedDenormals(run('older', [undefined, undefined])), 'ieee');
    assert.equal(loggedDenormals(run('older-then-flushed', [undefined, 'flush'])), 'mixed');
  });

  it('records nothing rather than a guess for a missing, damaged or foreign log', () => {
    assert.equal(loggedDenormals(join(tmp, 'no-such-run')), undefined);
    assert.equal(loggedDenormals(run('foreign', ['flush', 'daz'])), undefined);
    const damaged = run('damaged', ['flush']);
    writeFileSync(join(damaged, 'metrics.jsonl'), '{"epoch":1,"denormals":"fl');
    assert.equal(loggedDenormals(damaged), undefined);
  });

  it('a study is the mode of its runs (runs without a record kept IEEE denormals)', () => {
    assert.equal(studyDenormals([]), undefined);
    assert.equal(studyDenormals([{ denormals: 'flush' }, { denormals: 'flush' }]), 'flush');
    assert.equal(studyDenormals([{}, { denormals: 'ieee' }]), 'ieee');
    assert.equal(studyDenormals([{ denormals: 'flush' }, {}]), 'mixed');
    assert.equal(showDenormals('mixed'), 'denormals flushed in some runs or epochs and IEEE in others');
  });
});
