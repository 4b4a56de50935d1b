/** The label-efficiency plot's data: the primary test metric's mean ± std over seeds per arm and ratio. */
import { basename } from 'node:path';
import type { Arm, StudyResults } from '../train/label_efficiency.js';
import { ARMS } from '../train/label_efficiency.js';
import { isUnitMetric, metricLabel } from './format.js';
import type { ChartSpec } from './plot.js';

export const ARM_STYLE: Readonly<Record<Arm, { color: string; dashed: boolean }>> = {
  pretrained: { color: '#1f77b4', dashed: false },
  scratch: { color: '#d62728', dashed: true },
};

export function studyChart(r: StudyResults, metric = r.metric): ChartSpec {
  const label = metricLabel(metric);
  return {
    title: `Test ${label} vs label ratio — ${basename(r.options.data)}, ${r.options.model}`,
    xLabel: 'share of labelled training images (log scale)',
    yLabel: `test ${label}`,
    ...(isUnitMetric(metric) ? { yBounds: [0, 1] as const } : {}),
    series: ARMS.filter((a) => r.summary.some((s) => s.arm === a)).map((arm) => ({
      label: arm, ...ARM_STYLE[arm],
      points: r.summary.filter((s) => s.arm === arm).map((s) => ({ x: s.ratio, mean: s.metrics[metric]?.mean ?? NaN, std: s.metrics[metric]?.std ?? NaN })),
    })),
  };
}
