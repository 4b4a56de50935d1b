import { basename } from 'node:path';
import type { Io } from './io.js';
import { checkWritable } from '../checkpoint/atomic.js';
import { loadUsfm } from '../models/usfm/model.js';
import { imgSize, parse } from './args.js';
import { UsageError } from './errors.js';

export const convertHelp = `usfm convert IN.pth OUT.safetensors [--img-size S]
  Load a checkpoint strictly (official .pth or ours) and write it as safetensors with its config.`;

export async function convert(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, { 'img-size': { type: 'string' } });
  if (positionals.length !== 2) throw new UsageError(`usage: ${convertHelp.split('\n')[0]}`);
  const [src, dst] = positionals as [string, string];
  if (!dst.endsWith('.safetensors')) throw new UsageError(`${dst}: output must end in .safetensors`);
  await checkWritable(dst);
  const enc = await loadUsfm(src, { imgSize: imgSize(values['img-size']) });
  await enc.save(dst, { 'usfm.source': basename(src), 'usfm.converted': new Date().toISOString() });
  io.out(`wrote ${dst} (${enc.params.size} tensors; ${enc.notes.slice(1).join('; ') || 'no key surgery needed'})\n`);
}
