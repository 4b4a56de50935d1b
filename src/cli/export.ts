import { writeFileAtomic, checkWritable } from '../checkpoint/atomic.js';
import { loadUsfm } from '../models/usfm/model.js';
import { imgSize, parse } from './args.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

export const exportHelp = `usfm export CKPT OUT.onnx [--img-size S|HxW]
  The encoder as a self-contained ONNX model (opset 17, weights inside, symbolic batch axis):
  input 'pixel_values' [batch,3,H,W] (normalised), outputs 'pooled' [batch,C] and 'tokens' [batch,N,C].`;

export async function exportModel(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, { 'img-size': { type: 'string' } });
  if (positionals.length !== 2) throw new UsageError(`usage: ${exportHelp.split('\n')[0]}`);
  const [src, dst] = positionals as [string, string];
  if (!dst.endsWith('.onnx')) throw new UsageError(`${dst}: output must end in .onnx`);
  await checkWritable(dst);
  const enc = await loadUsfm(src, { imgSize: imgSize(values['img-size']) });
  const bytes = enc.exportOnnx();
  await writeFileAtomic(dst, [bytes]);
  io.out(`wrote ${dst} (${(bytes.length / 1e6).toFixed(1)} MB, input [batch,3,${enc.config.imgSize.join(',')}])\n`);
}
