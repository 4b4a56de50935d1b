// Paired gains: per-seed pretrained − scratch differences at each ratio, their mean, SE and how often pretraining led.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { pairedGains, pairedLine, showGain } from './paired.js';
import { fakeStudy } from './testing/study.js';

it('pairs the arms by seed at each ratio: mean difference, SE = sd/√n, seeds ahead; unpaired seeds left out', () => {
  const r = fakeStudy({
    pretrained: { 0.1: [0.80, 0.85, 0.90], 1: [0.95, 0.96] },
    scratch: { 0.1: [0.70, 0.86, 0.85], 1: [0.94, 0.96, 0.97] },
  });
  const [low, full] = pairedGains(r.runs, 'dice') as [ReturnType<typeof pairedGains>[number], ReturnType<typeof pairedGains>[number]];
  // Differences 0.10, −0.01, 0.05: mean 0.0467, sd 0.0551, SE 0.0318.
  assert.equal(low.ratio, 0.1);
  assert.ok(Math.abs(low.mean - 0.14 / 3) < 1e-12);
  const sd = Math.sqrt(([0.1, -0.01, 0.05].reduce((s, x) => s + (x - 0.14 / 3) ** 2, 0)) / 2);
  assert.ok(Math.abs(low.se - sd / Math.sqrt(3)) < 1e-12);
  assert.deepEqual([low.seeds, low.ahead], [3, 2]);
  // Seed 44 has no pretrained run at 100 %: two pairs (+0.01, 0.00), of which one ahead (a tie is not ahead).
  assert.deepEqual([full.seeds, full.ahead], [2, 1]);
  assert.ok(Math.abs(full.mean - 0.005) < 1e-12);
  assert.equal(showGain(low, 'dice'), '+0.047 ± 0.032 (SE), ahead in 2 of 3 seeds');
  assert.equal(showGain({ ratio: 1, seeds: 1, mean: -0.004, se: NaN, ahead: 0 }, 'dice'), '−0.004, one seed');
  assert.match(pairedLine([low, full], 'dice'), /^Pretrained − scratch at the same labels, paired by seed: 10\u00a0%: \+0\.047 ± 0\.032 \(SE\), ahead in 2 of 3 seeds; 100\u00a0%: \+0\.005 ± 0\.005 \(SE\), ahead in 1 of 2 seeds$/);
  assert.deepEqual(pairedGains(fakeStudy({ scratch: { 1: [0.9] } }).runs, 'dice'), []);
});
