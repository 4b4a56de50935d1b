// SamplePool lifecycle: close() lets running loads finish; a stopped worker is never chosen again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import type { ClsItem } from '../datasets/cls.js';
import { sampleRng } from './augment.js';
import { SamplePool } from './pool.js';

const SAMPLES = join(import.meta.dirname, '../../../samples');
const item: ClsItem = { path: join(SAMPLES, '008_HC.png'), label: 1, className: 'b' };

/** The pool's worker threads (private; reached here to make one stop). */
const threads = (pool: SamplePool): Worker[] => (pool as unknown as { workers: Worker[] }).workers;

describe('SamplePool', () => {
  it('close() waits for the loads already running instead of terminating them mid-decode', async () => {
    const pool = new SamplePool({ size: 64, augment: false, workers: 2 });
    const loads = Promise.allSettled([0, 1, 2, 3].map((i) => pool.cls(item, sampleRng(0, 0, i), i)));
    // A drain limit far above the default 5 s: on a loaded machine the workers alone can take seconds to start,
    // and what is tested is that close() waits, not how long a load takes.
    await pool.close(120_000);
    const done = await loads;
    assert.deepEqual(done.map((d) => d.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    await assert.rejects(pool.cls(item, sampleRng(0, 0, 0), 0), /SamplePool: closed/);
  });

  it('routes loads around a stopped worker and says so when none is left', async () => {
    const pool = new SamplePool({ size: 64, augment: false, workers: 2 });
    try {
      const [a, b] = threads(pool);
      await a!.terminate();
      const s = await pool.cls(item, sampleRng(0, 0, 0), 0);
      assert.deepEqual(s.image.shape, [3, 64, 64]);
      await b!.terminate();
      await assert.rejects(pool.cls(item, sampleRng(0, 0, 1), 1), /every worker has stopped \(worker 0 exited with code \d+; worker 1 exited with code \d+\)/);
    } finally {
      await pool.close();
    }
  });
});
