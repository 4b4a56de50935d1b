import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '../core/host.js';
import { readSafetensors } from '../checkpoint/safetensors.js';
import type { UsfmConfig } from '../models/usfm/config.js';
import { CONFIG_KEY } from '../models/usfm/model.js';
import type { TaskSpec } from './evaluate.js';
import { TASK_KEY } from './evaluate.js';

/** A fine-tuned model as `usfm finetune` saves it: task, encoder config and all parameters. */
export interface TaskCheckpoint {
  readonly path: string;
  readonly task: TaskSpec;
  readonly cfg: UsfmConfig;
  readonly tensors: ReadonlyMap<string, HostTensor>;
}

/** The checkpoint a finetune run folder stands for: its best one, else its last one; undefined when it has neither. */
export function findRunCheckpoint(run: string): string | undefined {
  return [join(run, 'best.safetensors'), join(run, 'last.safetensors')].find((p) => existsSync(p));
}

/** {@link findRunCheckpoint}, or a one-line error naming the folder. */
export function runCheckpoint(run: string): string {
  const found = findRunCheckpoint(run);
  if (!found) throw new Error(`${run}: no best.safetensors or last.safetensors (not a finetune run folder?)`);
  return found;
}

/** Read a fine-tuned checkpoint; one-line errors for encoders-only files and incomplete metadata. */
export async function readTaskCheckpoint(path: string): Promise<TaskCheckpoint> {
  const ck = await readSafetensors(path);
  const taskJson = ck.metadata[TASK_KEY];
  const cfgJson = ck.metadata[CONFIG_KEY];
  if (!taskJson || !cfgJson) throw new Error(`${path}: not a fine-tuned model (no ${TASK_KEY} metadata); encoders are used after usfm finetune`);
  const task = JSON.parse(taskJson) as TaskSpec;
  if (!(task.classes > 0 && task.imgSize > 0 && (task.task === 'cls' || task.segChannels > 0))) {
    throw new Error(`${path}: incomplete ${TASK_KEY} metadata (${taskJson}); written by an older version?`);
  }
  return { path, task, cfg: JSON.parse(cfgJson) as UsfmConfig, tensors: ck.tensors };
}
