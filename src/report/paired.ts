/**
 * Pretrained minus scratch at the same label ratio, paired by seed. Both arms of a seed train on the same label
 * subset, so the per-seed difference d removes the subset's share of the spread that the unpaired means carry:
 * its mean, the standard error of that mean sd(d)/√n (undefined with one seed), and in how many seeds the
 * pretrained run scored higher. Seeds with only one arm finished are left out.
 */
import type { RunResult } from '../train/label_efficiency.js';
import { metricDigits, percent } from './format.js';

export interface PairedGain {
  readonly ratio: number;
  /** Seeds with both arms' metric. */
  readonly seeds: number;
  readonly mean: number;
  /** Standard error of the mean difference (NaN with one seed). */
  readonly se: number;
  /** Seeds where pretrained scored higher than scratch. */
  readonly ahead: number;
}

/** One entry per ratio that has at least one seed with both arms, ascending. */
export function pairedGains(runs: readonly RunResult[], metric: string): PairedGain[] {
  const score = new Map(runs.map((r) => [`${r.arm}|${r.ratio}|${r.seed}`, r.metrics[metric] ?? NaN]));
  const out: PairedGain[] = [];
  for (const ratio of [...new Set(runs.map((r) => r.ratio))].sort((a, b) => a - b)) {
    const d = [...new Set(runs.filter((r) => r.ratio === ratio).map((r) => r.seed))]
      .map((seed) => (score.get(`pretrained|${ratio}|${seed}`) ?? NaN) - (score.get(`scratch|${ratio}|${seed}`) ?? NaN))
      .filter(Number.isFinite);
    if (!d.length) continue;
    const mean = d.reduce((s, x) => s + x, 0) / d.length;
    const se = d.length > 1 ? Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1) / d.length) : NaN;
    out.push({ ratio, seeds: d.length, mean, se, ahead: d.filter((x) => x > 0).length });
  }
  return out;
}

/** '+0.071 ± 0.025 (SE), ahead in 3 of 3 seeds' ('+0.004, one seed' without a standard error). */
export function showGain(g: PairedGain, metric: string): string {
  const digits = metricDigits(metric);
  const mean = `${g.mean >= 0 ? '+' : '−'}${Math.abs(g.mean).toFixed(digits)}`;
  return Number.isFinite(g.se) ? `${mean} ± ${g.se.toFixed(digits)} (SE), ahead in ${g.ahead} of ${g.seeds} seeds` : `${mean}, one seed`;
}

/** The console line: 'Pretrained − scratch at the same labels, paired by seed: 10 %: +0.071 ± …; 20 %: …'. */
export const pairedLine = (gains: readonly PairedGain[], metric: string): string =>
  `Pretrained − scratch at the same labels, paired by seed: ${gains.map((g) => `${percent(g.ratio)}: ${showGain(g, metric)}`).join('; ')}`;
