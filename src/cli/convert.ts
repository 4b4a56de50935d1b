import { basename } from 'node:path';
import type { Io } from './io.js';
import { checkWritable } from '../checkpoint/atomic.js';
import { floatToHalf } from '../core/host.js';
import { readSafetensorsHeader, writeSafetensors } from '../checkpoint/safetensors.js';
import { sniffCheckpoint } from '../checkpoint/open.js';
import { CONFIG_KEY, loadUsfm } from '../models/usfm/model.js';
import { LOSS_KEY, RECORD_KEY } from '../train/pretrain_record.js';
import { imgSize, parse } from './args.js';
import { UsageError } from './errors.js';

export const convertHelp = `usfm convert IN.pth OUT.safetensors [--img-size S] [--half]
  Load a checkpoint strictly (official .pth or ours) and write it as safetensors with its config (and, from a
  pretraining run's encoder.safetensors, its training record: objective, data, epoch, step).
  --half stores float16 (half the size; loading converts back to float32).`;

/** A pretraining run's record in its encoder checkpoint (objective, data, schedule, epoch, step, losses): kept by convert. */
const TRAINING_RECORD = [RECORD_KEY, 'usfm.epoch', 'usfm.step', LOSS_KEY] as const;

async function trainingRecord(src: string): Promise<Record<string, string>> {
  if ((await sniffCheckpoint(src)) !== 'safetensors') return {};
  const { metadata } = await readSafetensorsHeader(src);
  return Object.fromEntries(TRAINING_RECORD.filter((k) => metadata[k] !== undefined).map((k) => [k, metadata[k]!]));
}

export async function convert(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, { 'img-size': { type: 'string' }, half: { type: 'boolean' } });
  if (positionals.length !== 2) throw new UsageError(`usage: ${convertHelp.split('\n')[0]}`);
  const [src, dst] = positionals as [string, string];
  if (!dst.endsWith('.safetensors')) throw new UsageError(`${dst}: output must end in .safetensors`);
  await checkWritable(dst);
  const enc = await loadUsfm(src, { imgSize: imgSize(values['img-size']) });
  const provenance = { ...(await trainingRecord(src)), 'usfm.source': basename(src), 'usfm.converted': new Date().toISOString() };
  if (values.half === true) {
    const half = new Map([...enc.params].map(([k, t]) => {
      const data = Uint16Array.from(t.data as Float32Array, floatToHalf);
      // 0x7c00 = +Inf, 0xfc00 = −Inf: |x| > 65504 does not fit float16.
      if (data.some((h, i) => (h & 0x7fff) === 0x7c00 && Number.isFinite((t.data as Float32Array)[i]!))) throw new Error(`${src}: tensor ${k} has values beyond float16's ±65504; convert without --half`);
      return [k, { dtype: 'float16' as const, shape: t.shape, data }];
    }));
    await writeSafetensors(dst, half, { format: 'pt', [CONFIG_KEY]: JSON.stringify(enc.config), ...provenance });
  } else {
    await enc.save(dst, provenance);
  }
  io.out(`wrote ${dst} (${enc.params.size} tensors; ${enc.notes.slice(1).join('; ') || 'no key surgery needed'})\n`);
}
