import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appendFile } from 'node:fs/promises';
import { AdamW } from './adamw.js';
import type { ParamSet } from './param_set.js';
import type { RunPosition } from './run_state.js';
import { saveRun } from './run_state.js';

/**
 * The one-line error that ends a run whose loss or gradient norm stopped being finite. Nothing is saved
 * from there on: last.safetensors and the run state stay those of the last finished epoch.
 */
export function nonFiniteStop(out: string, what: string, epoch: number, step: number): Error {
  const last = join(out, 'last.safetensors');
  const kept = existsSync(last) ? `last good checkpoint: ${last}` : 'no epoch had finished, so no checkpoint was written';
  return new Error(`${out}: ${what} at epoch ${epoch + 1}, step ${step + 1}; stopped (${kept}; try a lower --lr)`);
}

/** `opt.update`, with a non-finite gradient norm reported as {@link nonFiniteStop}. */
export function updateOrStop(
  opt: AdamW, grads: ReadonlyMap<string, Float32Array>, lr: number, gradNorm: number | undefined, out: string, epoch: number, step: number,
): void {
  const norm = gradNorm ?? AdamW.gradNorm(grads);
  if (!Number.isFinite(norm)) throw nonFiniteStop(out, `gradient norm is ${norm}`, epoch, step);
  opt.update(grads, lr, norm);
}

/** The signal that last cut a run or study short in this process (see {@link takeStopSignal}). */
let stoppedBy: NodeJS.Signals | null = null;

/**
 * The signal that cut work short since the last call, and forget it. A command that stopped early on Ctrl-C
 * saves its state and returns normally; the CLI turns this into exit status 128 + signal (130, 143), as a
 * shell does, so `usfm finetune … && usfm eval …` does not go on with an unfinished run. A signal that came
 * too late to stop anything (on the last step, while the last run was scored) leaves no trace here.
 */
export function takeStopSignal(): NodeJS.Signals | null {
  const s = stoppedBy;
  stoppedBy = null;
  return s;
}

/**
 * Ctrl-C / SIGTERM while a run (or a study of runs) trains: set `requested`, and the loop stops at its
 * next safe point. `what` says where it stops and how to continue.
 */
export class StopOnSignal {
  requested = false;
  private signal: NodeJS.Signals | null = null;
  private readonly handlers: [NodeJS.Signals, () => void][];

  constructor(what: string, log: (line: string) => void) {
    this.handlers = (['SIGINT', 'SIGTERM'] as const).map((sig) => [sig, (): void => {
      if (this.requested) return; // e.g. Ctrl-C delivered both by the terminal and by the bin/usfm.js launcher
      this.requested = true;
      this.signal = sig;
      log(`${sig}: ${what}`);
    }]);
    for (const [sig, h] of this.handlers) process.on(sig, h);
  }

  /** The stop of one run in `out`. */
  static forRun(out: string, log: (line: string) => void): StopOnSignal {
    return new StopOnSignal(`stopping after this step and saving ${out} (continue with --resume ${out})`, log);
  }

  /** The loop is returning before its end because of the signal: the command did not finish (see {@link takeStopSignal}). */
  stoppedEarly(): void {
    stoppedBy = this.signal ?? 'SIGINT';
  }

  dispose(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
  }
}

/**
 * The end of an epoch: the resume state first, then the epoch's metrics line (a crash between the two
 * loses the line rather than writing it twice on resume).
 */
export async function endEpoch(
  out: string, ps: ParamSet, opt: AdamW, pos: RunPosition, meta: Record<string, string>, record: unknown,
): Promise<void> {
  await saveRun(out, ps, opt, pos, meta);
  await appendFile(join(out, 'metrics.jsonl'), `${JSON.stringify(record)}\n`);
}
