import type { HostTensor } from '../core/host.js';
import type { Io } from './io.js';
import { readCheckpoint } from '../checkpoint/open.js';
import { presetName } from '../models/usfm/config.js';
import { UsfmEncoder } from '../models/usfm/model.js';
import { imgSize, parse } from './args.js';
import { UsageError } from './errors.js';

export const infoHelp = `usfm info CKPT [--keys] [--img-size S] [--json]
  Format, tensors, detected config and whether the checkpoint loads strictly into a USFM encoder.`;

export async function info(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, { keys: { type: 'boolean' }, json: { type: 'boolean' }, 'img-size': { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError(`usage: ${infoHelp.split('\n')[0]}`);
  const path = positionals[0]!;
  const ck = await readCheckpoint(path);
  const tensors = [...ck.tensors].map(([k, t]: [string, HostTensor]) => ({ key: k, dtype: t.dtype, shape: t.shape }));
  const total = [...ck.tensors.values()].reduce((a, t) => a + t.data.length, 0);
  const dtypes = [...new Set(tensors.map((t) => t.dtype))];
  let encoder: Record<string, unknown> = {};
  try {
    const enc = UsfmEncoder.fromCheckpoint(ck, path, { imgSize: imgSize(values['img-size']) });
    encoder = { loads: true, preset: presetName(enc.config) ?? 'custom', config: enc.config, notes: enc.notes.slice(1) };
  } catch (e) {
    encoder = { loads: false, error: (e as Error).message };
  }
  const report = { file: path, format: ck.format, tensors: tensors.length, values: total, dtypes, metadata: ck.metadata, encoder, ...(values.keys ? { keys: tensors } : {}) };
  if (values.json) {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const lines = [
    `file:      ${path}`,
    `format:    ${ck.format}`,
    `tensors:   ${tensors.length} (${(total / 1e6).toFixed(2)} M values; ${dtypes.join(', ')})`,
  ];
  for (const [k, v] of Object.entries(ck.metadata)) lines.push(`meta:      ${k} = ${v.length > 120 ? `${v.slice(0, 117)}...` : v}`);
  if (encoder.loads) {
    const c = encoder.config as { embedDim: number; depth: number; heads: number; imgSize: number[]; sharedRelPos: boolean };
    lines.push(`encoder:   ${String(encoder.preset)} (dim ${c.embedDim}, depth ${c.depth}, heads ${c.heads}, ${c.imgSize.join('x')}, ${c.sharedRelPos ? 'shared' : 'per-block'} relative position table)`);
    for (const n of encoder.notes as string[]) lines.push(`           ${n}`);
  } else {
    lines.push(`encoder:   does not load: ${String(encoder.error)}`);
  }
  if (values.keys) for (const t of tensors) lines.push(`  ${t.key}  ${t.dtype}[${t.shape.join(',')}]`);
  io.out(`${lines.join('\n')}\n`);
}
