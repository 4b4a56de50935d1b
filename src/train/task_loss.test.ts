import assert from 'node:assert/strict';
import { test } from 'node:test';
import { balancedClassWeights, classCounts } from './task_loss.js';

test('classCounts counts each class, zero for absent ones', () => {
  assert.deepEqual(classCounts([2, 0, 2, 2], 4), [1, 0, 3, 0]);
});

test('balancedClassWeights is n / (C·n_c): the weighted samples of each class sum to n / C', () => {
  const w = balancedClassWeights([6, 2, 4]);
  assert.deepEqual(w, [12 / 18, 12 / 6, 12 / 12]);
  const perClass = [6, 2, 4].map((c, k) => c * w[k]!);
  for (const s of perClass) assert.ok(Math.abs(s - 4) < 1e-12);
});
