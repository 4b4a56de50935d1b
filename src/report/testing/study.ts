/** A small label-efficiency result set for the report tests (no training). */
import type { Arm, RunResult, StudyOptions, StudyResults } from '../../train/label_efficiency.js';
import { aggregate, runName } from '../../train/label_efficiency.js';

/** Dice per arm and ratio for three seeds. */
export type DiceTable = Readonly<Partial<Record<Arm, Readonly<Record<number, readonly number[]>>>>>;

export function fakeStudy(dice: DiceTable, over: Partial<StudyOptions> = {}, complete = true): StudyResults {
  const runs: RunResult[] = [];
  for (const [arm, byRatio] of Object.entries(dice) as [Arm, Readonly<Record<number, readonly number[]>>][]) {
    for (const [ratio, values] of Object.entries(byRatio)) {
      values.forEach((d, i) => runs.push({
        name: runName(arm, Number(ratio), 42 + i), arm, ratio: Number(ratio), seed: 42 + i, images: Math.round(40 * Number(ratio)), epochs: Math.ceil(1 / Number(ratio)),
        steps: 5, seconds: 12.5, metrics: { dice: d, iou: d - 0.1, hd95: 10 * (1 - d), hd95Mm: NaN },
      }));
    }
  }
  const ratios = [...new Set(runs.map((r) => r.ratio))].sort((a, b) => a - b);
  const options: StudyOptions = {
    task: 'seg', data: '/data/hc18-mini', weights: '/w/encoder.safetensors', model: 'vit-t', head: 'upernet', imgSize: 32, batchSize: 8,
    budget: { unit: 'epochs', value: 1 }, lrPretrained: 3.2e-3, lrScratch: 1.28e-2, layerDecayPretrained: 0.65, ratios, seeds: [42, 43, 44], arms: ['pretrained', 'scratch'], ...over,
  };
  const budget = {
    steps: 5, warmupSteps: 0,
    ratios: ratios.map((ratio) => ({ ratio, images: Math.round(40 * ratio), batchesPerEpoch: 5, epochs: Math.ceil(1 / ratio), steps: 5, warmupEpochs: 0, valEvery: 1 })),
  };
  return { options, metric: 'dice', budget, complete, runs, summary: aggregate(runs), seconds: runs.length * 12.5 };
}
