import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryAuc, clsMetrics, confusionMatrix } from './cls.js';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

/** Brute-force pairwise AUC: mean over (pos, neg) pairs of 1 / 0.5 / 0. */
function pairAuc(scores: readonly number[], pos: readonly boolean[]): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!pos[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (pos[j]) continue;
      n++;
      s += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return n ? s / n : NaN;
}

describe('binaryAuc', () => {
  it('perfect, reversed and all-tied', () => {
    assert.equal(binaryAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 1);
    assert.equal(binaryAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]), 0);
    assert.equal(binaryAuc([0.5, 0.5, 0.5], [true, false, false]), 0.5);
  });

  it('hand-computed with ties', () => {
    // pos {0.4, 0.6}, neg {0.4, 0.2, 0.6}: pairs 0.4:(.5,1,0) 0.6:(1,1,.5) → 4/6
    close(binaryAuc([0.4, 0.6, 0.4, 0.2, 0.6], [true, true, false, false, false]), 4 / 6);
  });

  it('matches brute-force pairwise on random tied scores', () => {
    let seed = 3;
    const r = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let t = 0; t < 20; t++) {
      const n = 5 + Math.floor(r() * 40);
      const scores = Array.from({ length: n }, () => Math.floor(r() * 6) / 5); // many ties
      const pos = Array.from({ length: n }, () => r() < 0.4);
      const want = pairAuc(scores, pos);
      const got = binaryAuc(scores, pos);
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got));
      else close(got, want);
    }
  });

  it('NaN without positives or negatives', () => {
    assert.ok(Number.isNaN(binaryAuc([0.1, 0.2], [false, false])));
    assert.ok(Number.isNaN(binaryAuc([0.1, 0.2], [true, true])));
  });
});

describe('clsMetrics', () => {
  it('hand-computed 3-class case', () => {
    // truth:  0 0 0 1 1 2
    // pred:   0 0 1 1 2 2
    const labels = [0, 0, 0, 1, 1, 2];
    const probs = [
      [0.7, 0.2, 0.1],
      [0.6, 0.3, 0.1],
      [0.3, 0.5, 0.2],
      [0.1, 0.8, 0.1],
      [0.2, 0.3, 0.5],
      [0.1, 0.1, 0.8],
    ];
    const m = clsMetrics(labels, probs);
    assert.deepEqual(m.confusion, [
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    assert.deepEqual([...m.predictions], [0, 0, 1, 1, 2, 2]);
    close(m.accuracy, 4 / 6);
    // recalls 2/3, 1/2, 1
    close(m.balancedAccuracy, (2 / 3 + 1 / 2 + 1) / 3);
    // F1 = 2TP/(2TP+FP+FN): c0 4/5, c1 2/4, c2 2/3
    close(m.f1[0]!, 0.8);
    close(m.f1[1]!, 0.5);
    close(m.f1[2]!, 2 / 3);
    close(m.macroF1, (0.8 + 0.5 + 2 / 3) / 3);
    assert.equal(m.f1Classes, 3);
    assert.deepEqual(m.support, [3, 2, 1]);
    for (let k = 0; k < 3; k++) {
      close(m.auc[k]!, pairAuc(probs.map((p) => p[k]!), labels.map((l) => l === k)));
    }
    close(m.macroAuc, (m.auc[0]! + m.auc[1]! + m.auc[2]!) / 3);
    // flat Float32 input gives the same result
    const flat = clsMetrics(Int32Array.from(labels), Float32Array.from(probs.flat()));
    assert.deepEqual(flat.confusion, m.confusion);
    close(flat.macroF1, m.macroF1);
  });

  it('perfect predictions', () => {
    const m = clsMetrics([0, 1, 2, 1], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.1, 0.8, 0.1]]);
    assert.equal(m.accuracy, 1);
    assert.equal(m.balancedAccuracy, 1);
    assert.equal(m.macroF1, 1);
    assert.equal(m.macroAuc, 1);
  });

  it('degenerate classes: absent class excluded, predicted-only class counts as F1 0', () => {
    // 4 classes; class 3 never true nor predicted; class 2 predicted but never true.
    const labels = [0, 0, 1, 1];
    const probs = [
      [0.9, 0.05, 0.05, 0],
      [0.1, 0.1, 0.8, 0],
      [0.2, 0.7, 0.1, 0],
      [0.3, 0.6, 0.1, 0],
    ];
    const m = clsMetrics(labels, probs);
    assert.deepEqual(m.confusion, [
      [1, 0, 1, 0],
      [0, 2, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    close(m.balancedAccuracy, (0.5 + 1) / 2); // over classes 0 and 1 only
    assert.ok(Number.isNaN(m.f1[3]!));
    assert.equal(m.f1[2], 0);
    assert.ok(Number.isNaN(m.recall[2]!));
    assert.equal(m.f1Classes, 3);
    close(m.macroF1, (2 / 3 + 1 + 0) / 3);
    assert.ok(Number.isNaN(m.auc[2]!) && Number.isNaN(m.auc[3]!)); // no positives
    assert.equal(m.aucClasses, 2);
    close(m.macroAuc, (m.auc[0]! + m.auc[1]!) / 2);
  });

  it('single-class labels: every AUC NaN', () => {
    const m = clsMetrics([1, 1], [[0.4, 0.6], [0.7, 0.3]]);
    assert.ok(Number.isNaN(m.macroAuc));
    assert.equal(m.aucClasses, 0);
    assert.equal(m.balancedAccuracy, 0.5);
  });

  it('validates input', () => {
    assert.throws(() => clsMetrics([], []));
    assert.throws(() => clsMetrics([0, 1], [0.5, 0.5, 0.5]));
    assert.throws(() => clsMetrics([0, 2], [[1, 0], [0, 1]]));
    assert.throws(() => clsMetrics([0, 1], [[1, 0], [0, 1, 0]]));
    assert.throws(() => confusionMatrix([0, 0.5], [0, 0], 2));
    assert.throws(() => binaryAuc([0.1, NaN], [true, false]));
  });
});
