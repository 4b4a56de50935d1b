/** Text shared by the label-efficiency plot, HTML report and console summary: metric names, ratios, mean ± std, escaping. */
import type { MetricSummary } from '../metrics/seg.js';

const LABELS: Readonly<Record<string, string>> = {
  dice: 'Dice', iou: 'IoU', hd95: 'HD95 (px)', hd95Mm: 'HD95 (mm)', hcErrorMm: '|ΔHC| (mm)',
  balancedAccuracy: 'balanced accuracy', accuracy: 'accuracy', macroF1: 'macro-F1', macroAuc: 'macro AUC',
};

/** Metrics in [0, 1] where higher is better (the others are distances in px or mm). */
const UNIT_INTERVAL = new Set(['dice', 'iou', 'balancedAccuracy', 'accuracy', 'macroF1', 'macroAuc']);

export const metricLabel = (key: string): string => LABELS[key] ?? key;

export const isUnitMetric = (key: string): boolean => UNIT_INTERVAL.has(key);

/** Decimals a metric is shown with: 3 for scores in [0, 1], 2 for distances. */
export const metricDigits = (key: string): number => (isUnitMetric(key) ? 3 : 2);

/** A label ratio as a percentage: 0.1 → '10 %', 0.125 → '12.5 %' (no-break space). */
export const percent = (ratio: number): string => `${Number((ratio * 100).toPrecision(3))}\u00a0%`;

/** 'mean ± std' ('mean' alone when the std is undefined, 'n/a' when the mean is). */
export function meanStd(m: Pick<MetricSummary, 'mean' | 'std'>, digits = 3): string {
  if (!Number.isFinite(m.mean)) return 'n/a';
  return Number.isFinite(m.std) ? `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}` : m.mean.toFixed(digits);
}

/** A number or 'n/a'. */
export const fixed = (v: number | undefined, digits: number): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for XML/HTML content and attribute values. */
export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** How an incomplete study gets its missing runs: a study by running again, merged results only from their studies. */
export const missingRunsHint = (r: { readonly mergedFrom?: readonly string[] }): string =>
  (r.mergedFrom ? 'the merged studies lack the others' : 'run the same command again to continue');
