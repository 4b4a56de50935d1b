/**
 * The training record every pretraining checkpoint carries (safetensors metadata `usfm.pretrain`): the resolved
 * objective, the absolute source folders, each source's name and image count, the sampling balance and the
 * schedule (model, size, epochs, batch, lr, seed, starting weights…), so a checkpoint alone says how it was made;
 * the epoch's losses go beside it (`usfm.loss`). On
 * `--resume` it is the authority on what the run was doing: the objective comes from it (a run recorded before
 * options.json kept every objective setting is not switched to today's defaults), and the data must still be
 * what it was (an interrupted epoch is replayed by skipping the batches already done, which only holds for the
 * same images).
 */
import { join } from 'node:path';
import { readSafetensorsHeader } from '../checkpoint/safetensors.js';
import type { Balance } from '../data/pretrain/sampler.js';
import type { PretrainSource } from '../data/pretrain/sources.js';
import type { PretrainObjectiveOptions } from '../pretrain/options.js';
import { savedParamsFile } from './run_state.js';

export const RECORD_KEY = 'usfm.pretrain';

/** The epoch's mean losses at a checkpoint (JSON): loss, lSpa, lFreq. */
export const LOSS_KEY = 'usfm.loss';

/** How the run trains, as given (absolute starting-weights path, or null from random init). */
export interface PretrainSchedule {
  readonly model: string;
  readonly imgSize: number;
  readonly epochs: number;
  /** Draws per epoch; 0 = the number of images. */
  readonly epochLength: number;
  readonly batchSize: number;
  readonly accumSteps: number;
  /** Base lr at batch 512. */
  readonly lr: number;
  readonly weightDecay: number;
  readonly warmupEpochs: number;
  readonly clipNorm: number;
  readonly dropPath: number;
  /** Random flips: 'hv', 'h' or 'none'. */
  readonly flips: string;
  readonly seed: number;
  readonly weights: string | null;
}

export interface PretrainRecordMeta {
  readonly objective: PretrainObjectiveOptions;
  /** Absolute source folders. */
  readonly data: readonly string[];
  readonly sources?: readonly { readonly name: string; readonly images: number }[];
  readonly balance: Balance;
  readonly schedule?: PretrainSchedule;
}

export function trainingRecord(objective: PretrainObjectiveOptions, sources: readonly PretrainSource[], balance: Balance, schedule: PretrainSchedule): PretrainRecordMeta {
  return { objective, data: sources.map((s) => s.root), sources: sources.map((s) => ({ name: s.name, images: s.items.length })), balance, schedule };
}

/** The record in the resume checkpoint of the run in `dir`, or null when it has none; a damaged one is an error naming the file. */
export async function savedRecord(dir: string): Promise<{ readonly file: string; readonly record: PretrainRecordMeta } | null> {
  const file = await savedParamsFile(dir);
  const raw = (await readSafetensorsHeader(file)).metadata[RECORD_KEY];
  if (raw === undefined) return null;
  let record: Partial<PretrainRecordMeta> | null;
  try {
    record = JSON.parse(raw) as Partial<PretrainRecordMeta> | null;
  } catch (e) {
    throw new Error(`${file}: damaged training record (${RECORD_KEY}: ${(e as Error).message}); cannot resume this run`);
  }
  if (typeof record?.objective !== 'object' || record.objective === null || (record.sources !== undefined && !Array.isArray(record.sources))) {
    throw new Error(`${file}: damaged training record (${RECORD_KEY} without an objective); cannot resume this run`);
  }
  return { file, record: record as PretrainRecordMeta };
}

/** Throws, naming the run and the first difference, when the sources scanned now are not the ones the run was trained on. */
export function checkSameSources(dir: string, saved: PretrainRecordMeta, now: readonly PretrainSource[]): void {
  if (!saved.sources) return;
  const images = (n: number): string => `${n} image${n === 1 ? '' : 's'}`;
  const was = saved.sources.map((s) => `${s.name}: ${images(s.images)}`);
  const is = now.map((s) => `${s.name}: ${images(s.items.length)}`);
  const i = was.findIndex((w, k) => w !== is[k]);
  if (i < 0 && was.length === is.length) return;
  const diff = i < 0 ? `now also ${is[was.length]}` : `${was[i]} then, ${is[i] ?? 'missing'} now`;
  throw new Error(`${dir}: the data changed since this run started (${diff}); resuming would not replay the same draws — ` +
    `restore the folders as they were, or start a new run with --weights ${join(dir, 'last.safetensors')}`);
}
