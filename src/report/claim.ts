/**
 * The label-efficiency claim, checked on the numbers: the fewest labels at which the pretrained arm
 * matches or beats the scratch arm trained on the most labels (its largest ratio, normally 100 %).
 * "beats": the mean difference exceeds one standard deviation of the difference, √(s_p² + s_s²);
 * "matches": within it; "falls short": below it. With one seed (no std) any shortfall falls short.
 * The metric is the study's primary one (Dice, balanced accuracy), where higher is better.
 */
import type { ArmRatioSummary } from '../train/label_efficiency.js';
import { meanStd, metricDigits, metricLabel, percent } from './format.js';

export type Verdict = 'beats' | 'matches' | 'falls short of';

export interface Claim {
  /** null when the check cannot be made (an arm or the metric is missing). */
  readonly verdict: Verdict | null;
  /** The pretrained ratio the verdict is about, and the scratch reference ratio. */
  readonly ratio: number | null;
  readonly reference: number | null;
  readonly sentence: string;
}

/** Compare one pretrained summary with the scratch reference. */
export function verdict(p: { mean: number; std: number }, s: { mean: number; std: number }): Verdict {
  const diff = p.mean - s.mean;
  const tol = Number.isFinite(p.std) && Number.isFinite(s.std) ? Math.sqrt(p.std ** 2 + s.std ** 2) : 0;
  if (diff > tol) return 'beats';
  return diff >= -tol ? 'matches' : 'falls short of';
}

export function claimCheck(summary: readonly ArmRatioSummary[], metric: string): Claim {
  const has = (r: ArmRatioSummary): boolean => Number.isFinite(r.metrics[metric]?.mean);
  const pre = summary.filter((r) => r.arm === 'pretrained' && has(r)).sort((a, b) => a.ratio - b.ratio);
  const scratch = summary.filter((r) => r.arm === 'scratch' && has(r)).sort((a, b) => a.ratio - b.ratio);
  const ref = scratch[scratch.length - 1];
  if (!pre.length || !ref) {
    const sentence = `The claim check needs ${metricLabel(metric)} from both arms (pretrained and scratch); this study has no ${pre.length ? 'scratch' : 'pretrained'} results.`;
    return { verdict: null, ratio: null, reference: null, sentence };
  }
  const s = ref.metrics[metric]!;
  const label = metricLabel(metric);
  const d = metricDigits(metric);
  const found = pre.find((r) => verdict(r.metrics[metric]!, s) !== 'falls short of');
  const at = found ?? pre[pre.length - 1]!;
  const p = at.metrics[metric]!;
  const v = verdict(p, s);
  const head = `Pretrained at ${percent(at.ratio)} labels: ${label} ${meanStd(p, d)} vs scratch at ${percent(ref.ratio)}: ${meanStd(s, d)} → ${v === 'falls short of' ? 'falls short' : v}`;
  const seeds = p.n === s.n ? `${p.n} seed${p.n === 1 ? '' : 's'} per arm` : `${p.n} and ${s.n} seeds`;
  const rule = Number.isFinite(p.std) && Number.isFinite(s.std) ? '"matches" = within one std of the difference' : 'no std with one seed, so any shortfall falls short';
  let why: string;
  if (!found) why = `pretraining falls short of scratch at ${percent(ref.ratio)} at every ratio tried`;
  else if (at.ratio < ref.ratio) why = `the fewest labels tried at which pretraining ${v} scratch with ${percent(ref.ratio)} — ${Number((ref.ratio / at.ratio).toPrecision(3))}× fewer labels`;
  else why = `pretraining only ${v} scratch with the same labels`;
  return { verdict: v, ratio: at.ratio, reference: ref.ratio, sentence: `${head} (${why}; ${seeds}; ${rule}).` };
}
