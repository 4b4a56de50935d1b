/**
 * The label-efficiency claim, checked on the numbers: the fewest labels at which the pretrained arm
 * matches or beats the scratch arm trained on the most labels (its largest ratio, normally 100 %).
 * The yardstick is the standard error of the difference of the two means, SE = √(s_p²/n_p + s_s²/n_s) (sample
 * stds over seeds): "beats" when the pretrained mean is higher by more than 2 SE (a clear win), "matches" when it
 * is at least as high, "is within 1 SE below" when it is lower by at most 1 SE — not distinguishable with these
 * seeds, but not shown to match either, so it does not count for the claim — and "falls short of" when it is lower
 * by more. (The spread of single runs, √(s_p² + s_s²), would call far larger gaps noise.) When only one arm has a
 * std (the other ran one seed), both are assumed to share it: SE = s·√(1/n_p + 1/n_s). With one seed per arm (no
 * std) nothing "beats" (a single run's lead says nothing about the spread): a mean at least as high "matches",
 * any shortfall falls short. The metric is the study's primary one (Dice, balanced accuracy), where higher is better.
 */
import type { ArmRatioSummary } from '../train/label_efficiency.js';
import { meanStd, metricDigits, metricLabel, percent } from './format.js';

export type Verdict = 'beats' | 'matches' | 'is within 1 SE below' | 'falls short of';

/** The verdicts that demonstrate the claim. */
const SHOWN: ReadonlySet<Verdict | null> = new Set<Verdict | null>(['beats', 'matches']);

/** Whether a verdict demonstrates the claim ("beats" or "matches"). */
export const demonstrates = (v: Verdict | null): boolean => SHOWN.has(v);

export interface Claim {
  /** null when the check cannot be made (an arm or the metric is missing). */
  readonly verdict: Verdict | null;
  /** The pretrained ratio the verdict is about, and the scratch reference ratio. */
  readonly ratio: number | null;
  readonly reference: number | null;
  readonly sentence: string;
}

type Summary = { readonly mean: number; readonly std: number; readonly n: number };

const hasStd = (x: Summary): boolean => x.n > 1 && Number.isFinite(x.std);

/** Standard error of the difference of two means (see the file comment; 0 when neither arm has a std). */
export function standardError(p: Summary, s: Summary): number {
  if (hasStd(p) && hasStd(s)) return Math.sqrt(p.std ** 2 / p.n + s.std ** 2 / s.n);
  const known = hasStd(p) ? p : hasStd(s) ? s : null;
  return known ? known.std * Math.sqrt(1 / p.n + 1 / s.n) : 0;
}

/** Compare one pretrained summary with the scratch reference (see the file comment). */
export function verdict(p: Summary, s: Summary): Verdict {
  const diff = p.mean - s.mean;
  const se = standardError(p, s);
  if (diff > 2 * se && (hasStd(p) || hasStd(s))) return 'beats';
  if (diff >= 0) return 'matches';
  return diff >= -se && se > 0 ? 'is within 1 SE below' : 'falls short of';
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
  const found = pre.find((r) => demonstrates(verdict(r.metrics[metric]!, s)));
  const at = found ?? pre[pre.length - 1]!;
  const p = at.metrics[metric]!;
  const v = verdict(p, s);
  const head = `Pretrained at ${percent(at.ratio)} labels: ${label} ${meanStd(p, d)} vs scratch at ${percent(ref.ratio)}: ${meanStd(s, d)} → ${v === 'falls short of' ? 'falls short' : v}`;
  const seeds = p.n === s.n ? `${p.n} seed${p.n === 1 ? '' : 's'} per arm` : `${p.n} and ${s.n} seeds`;
  const se = standardError(p, s);
  const rule = hasStd(p) || hasStd(s)
    ? `"beats" = higher by > 2 standard errors of the difference, "matches" = at least as high; SE ${se.toFixed(d)}`
    : 'no std with one seed: at least as high matches, lower falls short';
  let why: string;
  if (!found) why = `pretraining does not match scratch at ${percent(ref.ratio)} at any ratio tried`;
  else if (at.ratio < ref.ratio) why = `the fewest labels tried at which pretraining ${v} scratch with ${percent(ref.ratio)} — ${Number((ref.ratio / at.ratio).toPrecision(3))}× fewer labels`;
  else why = `pretraining only ${v} scratch with the same labels`;
  // Fewer labels that came close: not evidence of matching, but worth saying (more seeds could tell).
  const close = pre.filter((r) => r.ratio < at.ratio && verdict(r.metrics[metric]!, s) === 'is within 1 SE below')
    .map((r) => `at ${percent(r.ratio)} ${meanStd(r.metrics[metric]!, d)} is within 1 SE below (SE ${standardError(r.metrics[metric]!, s).toFixed(d)}): not distinguishable with these seeds, nor shown to match`);
  return { verdict: v, ratio: at.ratio, reference: ref.ratio, sentence: `${head} (${[why, ...close, seeds, rule].join('; ')}).` };
}
