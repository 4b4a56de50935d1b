/**
 * How runs computed denormal floats, as studies record it: each epoch's line in a finetune run's metrics.jsonl
 * says 'flush' or 'ieee' (the process's mode, `denormalMode()`), a run joins its epochs and a study its runs.
 * Recorded, not required to agree: the arithmetic differs below the noise of training, as another CPU's would.
 */
import type { DenormalMode } from '../runtime/types.js';
import type { RunResult } from './label_efficiency.js';
import { runLog } from './study_io.js';

/** How a run's epochs computed denormal floats: all in one mode, or 'mixed' (a run or study continued in the other). */
export type RunDenormals = DenormalMode | 'mixed';

/** Two groups of epochs (or runs) together. */
export const joinDenormals = (a: RunDenormals, b: RunDenormals): RunDenormals => (a === b ? a : 'mixed');

/**
 * How a study's runs computed denormal floats; undefined without runs. Runs from before it was recorded kept IEEE
 * denormals (the only mode then). Recorded, not required to agree: the arithmetic differs below the noise of training,
 * as another CPU's would; to reproduce a run bit-exactly use its mode (`usfm`: USFM_FLUSH_DENORMALS=0 for IEEE).
 */
export const studyDenormals = (runs: readonly Pick<RunResult, 'denormals'>[]): RunDenormals | undefined =>
  runs.map((r) => r.denormals ?? 'ieee').reduce<RunDenormals | undefined>((m, d) => (m === undefined ? d : joinDenormals(m, d)), undefined);

/** A denormal mode in words. */
export const showDenormals = (m: RunDenormals): string =>
  (m === 'flush' ? 'denormals flushed to zero' : m === 'ieee' ? 'IEEE denormals' : 'denormals flushed in some runs or epochs and IEEE in others');

/**
 * How a finetune run folder's epochs computed denormal floats, from its metrics.jsonl (a line without the field is
 * from before it was recorded: IEEE). Undefined when there is no readable log.
 */
export function loggedDenormals(runDir: string): RunDenormals | undefined {
  const rows = runLog(runDir);
  let mode: RunDenormals | undefined;
  for (const row of rows ?? []) {
    const d = row.denormals ?? 'ieee';
    // A foreign value: the run records no mode rather than a guess (so does a damaged log).
    if (d !== 'flush' && d !== 'ieee') return undefined;
    mode = mode === undefined ? d : joinDenormals(mode, d);
  }
  return mode;
}
