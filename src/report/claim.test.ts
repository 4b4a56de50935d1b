// The claim check: the fewest labels at which pretraining matches or beats scratch with all of them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimCheck, standardError, verdict } from './claim.js';
import { fakeStudy } from './testing/study.js';

describe('verdict', () => {
  it('beats beyond 2 standard errors of the difference, matches when at least as high; within 1 SE below is not a match', () => {
    // 4 seeds per arm, stds 0.006 and 0.008: SE = √(0.006²/4 + 0.008²/4) = 0.005.
    const s = { mean: 0.94, std: 0.008, n: 4 };
    const p = (mean: number): { mean: number; std: number; n: number } => ({ mean, std: 0.006, n: 4 });
    assert.equal(verdict(p(0.9511), s), 'beats'); // +0.0111 > 0.010
    assert.equal(verdict(p(0.9489), s), 'matches'); // +0.0089: better, but not clearly
    assert.equal(verdict(p(0.94), s), 'matches'); // equal means
    assert.equal(verdict(p(0.9351), s), 'is within 1 SE below'); // −0.0049 ≥ −0.005: not distinguishable, not shown to match
    assert.equal(verdict(p(0.9349), s), 'falls short of');
    // The single runs' spread (√(0.006² + 0.008²) = 0.010) is not the yardstick: −0.008 falls short.
    assert.equal(verdict(p(0.932), s), 'falls short of');
    assert.equal(verdict({ mean: 0.93, std: NaN, n: 1 }, { mean: 0.94, std: NaN, n: 1 }), 'falls short of');
    assert.equal(verdict({ mean: 0.94, std: NaN, n: 1 }, { mean: 0.94, std: NaN, n: 1 }), 'matches');
    // One run each: a lead of 0.004 (BUSI seed 44, 10 % vs 100 %) is no evidence of beating.
    assert.equal(verdict({ mean: 0.513, std: NaN, n: 1 }, { mean: 0.509, std: NaN, n: 1 }), 'matches');
  });

  it("uses the one arm's std for both when the other ran a single seed", () => {
    // Scratch: 4 seeds, std 0.008; pretrained: one run. SE = 0.008·√(1 + 1/4) ≈ 0.00894.
    const s = { mean: 0.94, std: 0.008, n: 4 };
    assert.ok(Math.abs(standardError({ mean: 0, std: NaN, n: 1 }, s) - 0.008 * Math.sqrt(1.25)) < 1e-12);
    assert.equal(verdict({ mean: 0.95, std: NaN, n: 1 }, s), 'matches'); // +0.010 < 2 SE: a single run does not "beat"
    assert.equal(verdict({ mean: 0.959, std: NaN, n: 1 }, s), 'beats');
    assert.equal(verdict({ mean: 0.93, std: NaN, n: 1 }, s), 'falls short of');
    assert.equal(verdict({ mean: 0.932, std: NaN, n: 1 }, s), 'is within 1 SE below');
    // Two seeds with identical scores: std 0, so any shortfall falls short, and the rule still says SE (0).
    const same = claimCheck(fakeStudy({ pretrained: { 1: [0.9, 0.9] }, scratch: { 1: [0.91, 0.91] } }).summary, 'dice');
    assert.equal(same.verdict, 'falls short of');
    assert.match(same.sentence, /"matches" = at least as high; SE 0\.000\)\.$/);
  });
});

describe('claimCheck', () => {
  it('names the smallest ratio that matches or beats scratch at 100 %, with the numbers', () => {
    const r = fakeStudy({
      pretrained: { 0.1: [0.90, 0.91, 0.92], 0.2: [0.947, 0.951, 0.955], 1: [0.96, 0.96, 0.97] },
      scratch: { 0.1: [0.7, 0.72, 0.74], 0.2: [0.8, 0.8, 0.8], 1: [0.942, 0.948, 0.954] },
    });
    const c = claimCheck(r.summary, 'dice');
    assert.equal(c.verdict, 'matches');
    assert.deepEqual([c.ratio, c.reference], [0.2, 1]);
    assert.match(c.sentence, /^Pretrained at 20\u00a0% labels: Dice 0\.951 ± 0\.004 vs scratch at 100\u00a0%: 0\.948 ± 0\.006 → matches \(the fewest labels tried at which pretraining matches scratch with 100\u00a0% — 5× fewer labels; 3 seeds per arm;/);
    assert.match(c.sentence, /; "beats" = higher by > 2 standard errors of the difference, "matches" = at least as high; SE 0\.004\)\.$/);
  });

  it('says beats, falls short, or that an arm is missing', () => {
    const beats = claimCheck(fakeStudy({ pretrained: { 0.5: [0.9, 0.91, 0.92], 1: [0.95, 0.95, 0.95] }, scratch: { 1: [0.8, 0.81, 0.82] } }).summary, 'dice');
    assert.deepEqual([beats.verdict, beats.ratio], ['beats', 0.5]);
    const short = claimCheck(fakeStudy({ pretrained: { 0.5: [0.5, 0.5, 0.5], 1: [0.6, 0.61, 0.62] }, scratch: { 1: [0.8, 0.81, 0.82] } }).summary, 'dice');
    assert.deepEqual([short.verdict, short.ratio], ['falls short of', 1]);
    assert.match(short.sentence, /→ falls short \(pretraining does not match scratch at 100\u00a0% at any ratio tried;/);
    // BUSI, 3 seeds: 50 % is 0.021 below scratch at 100 % with SE 0.052 — not distinguishable, not a match; 100 % matches.
    const busi = claimCheck(fakeStudy({ pretrained: { 0.5: [0.452, 0.545, 0.564], 1: [0.640, 0.506, 0.552] }, scratch: { 1: [0.618, 0.496, 0.509] } }).summary, 'dice');
    assert.deepEqual([busi.verdict, busi.ratio], ['matches', 1]);
    assert.match(busi.sentence, /→ matches \(pretraining only matches scratch with the same labels; at 50\u00a0% 0\.520 ± 0\.060 is within 1 SE below \(SE 0\.052\): not distinguishable with these seeds, nor shown to match; 3 seeds per arm;/);
    const one = claimCheck(fakeStudy({ scratch: { 1: [0.8] } }).summary, 'dice');
    assert.equal(one.verdict, null);
    assert.match(one.sentence, /needs Dice from both arms/);
  });
});
