import { extname } from 'node:path';
import type { Io } from './io.js';
import type { HostTensor } from '../core/host.js';
import { toFloat32 } from '../core/host.js';
import { readSafetensors } from '../checkpoint/safetensors.js';
import { loadImageTensor, readNpy, stackBatch } from '../data/index.js';
import { makeConfig } from '../models/usfm/config.js';
import type { UsfmEncoder } from '../models/usfm/model.js';
import { loadUsfm, UsfmEncoder as Encoder } from '../models/usfm/model.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import { checkWritable } from '../checkpoint/atomic.js';
import { imgSize, int, modelName, parse, str } from './args.js';
import { UsageError } from './errors.js';

export const embedHelp = `usfm embed --weights CKPT|none [--model vit-t] [--img-size S|HxW] [--batch-size 8] --out OUT.safetensors INPUT...
  INPUT: PNG/JPEG/TIFF/WebP/BMP images, DICOM (.dcm, first frame), or .npy/.safetensors (key pixel_values) NCHW float32 batches, already normalised.
  --img-size defaults to the checkpoint's own size (224 for the official USFM_latest.pth).
  Writes 'pooled' [B,C] and 'tokens' [B,N,C]; --weights none uses a random init (for testing only).`;

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.gif', '.bmp', '.dcm']);

/** Read one input as [B,3,H,W] float32 (B = 1 for an image). */
async function readInput(path: string, size: [number, number]): Promise<HostTensor<'float32'>> {
  const ext = extname(path).toLowerCase();
  let t: HostTensor;
  if (IMAGE_EXT.has(ext)) {
    const img = await loadImageTensor(path, size);
    return { dtype: 'float32', shape: [1, ...img.shape], data: img.data };
  } else if (ext === '.npy') {
    t = await readNpy(path);
  } else if (ext === '.safetensors') {
    const f = await readSafetensors(path);
    const pv = f.tensors.get('pixel_values');
    if (!pv) throw new Error(`${path}: no 'pixel_values' tensor (has ${[...f.tensors.keys()].slice(0, 5).join(', ') || 'none'})`);
    t = pv;
  } else {
    throw new Error(`${path}: unsupported input type '${ext || '(none)'}' (images, .npy or .safetensors)`);
  }
  if (t.dtype !== 'float32' && t.dtype !== 'float16' && t.dtype !== 'float64') throw new Error(`${path}: pixel values must be float, got ${t.dtype}`);
  const want = `[B,3,${size[0]},${size[1]}]`;
  if (t.shape.length !== 4 || t.shape[1] !== 3 || t.shape[2] !== size[0] || t.shape[3] !== size[1]) {
    throw new Error(`${path}: tensor has shape [${t.shape.join(',')}], expected ${want} (normalised NCHW; set --img-size to match)`);
  }
  return toFloat32(t);
}

export async function embed(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, {
    weights: { type: 'string' }, model: { type: 'string' }, 'img-size': { type: 'string' },
    'batch-size': { type: 'string' }, out: { type: 'string' }, threads: { type: 'string' },
  });
  const weights = str(values.weights, 'weights');
  const out = str(values.out, 'out');
  if (!out.endsWith('.safetensors')) throw new UsageError(`${out}: --out must end in .safetensors`);
  if (positionals.length === 0) throw new UsageError(`no inputs; usage: ${embedHelp.split('\n')[0]}`);
  const batchSize = int(values['batch-size'], 'batch-size', 8);
  const threads = values.threads === undefined ? undefined : int(values.threads, 'threads', 1);
  const size = imgSize(values['img-size']);
  await checkWritable(out); // fail before the work, not after it
  let enc: UsfmEncoder;
  if (weights === 'none') {
    const cfg = makeConfig(modelName(values.model, 'vit-t')!, { imgSize: size ?? [224, 224] });
    enc = Encoder.random(cfg, 0);
    io.err('usfm: warning: --weights none: random weights, embeddings are meaningless except for testing\n');
  } else {
    enc = await loadUsfm(weights, { imgSize: size, model: modelName(values.model), session: { threads } });
  }
  const hw: [number, number] = [enc.config.imgSize[0], enc.config.imgSize[1]];
  const t0 = performance.now();
  const pooled: HostTensor<'float32'>[] = [];
  const tokens: HostTensor<'float32'>[] = [];
  const names: string[] = [];
  // Read inputs (each may hold several images), then run in batches of --batch-size.
  let pending: HostTensor<'float32'>[] = [];
  const flush = async (): Promise<void> => {
    if (!pending.length) return;
    const r = await enc.embed(stackBatch(pending.flatMap(splitBatch)));
    pooled.push(r.pooled);
    tokens.push(r.tokens);
    pending = [];
  };
  let queued = 0;
  for (const p of positionals) {
    const x = await readInput(p, hw);
    const b = x.shape[0]!;
    for (let i = 0; i < b; i++) names.push(b > 1 ? `${p}#${i}` : p);
    pending.push(x);
    queued += b;
    if (queued >= batchSize) {
      await flush();
      queued = 0;
    }
  }
  await flush();
  const cat = (ts: HostTensor<'float32'>[]): HostTensor<'float32'> => stackBatch(ts.flatMap(splitBatch));
  const outTensors = new Map([['pooled', cat(pooled)], ['tokens', cat(tokens)]]);
  await writeSafetensors(out, outTensors, { inputs: JSON.stringify(names), weights, 'usfm.config': JSON.stringify(enc.config) });
  const ms = performance.now() - t0;
  io.out(`embedded ${names.length} input(s) in ${(ms / 1000).toFixed(2)} s → ${out} (pooled [${outTensors.get('pooled')!.shape.join(',')}], tokens [${outTensors.get('tokens')!.shape.join(',')}])\n`);
  await enc.release();
}

/** Split [B, ...] into B tensors of shape [...] (views). */
function splitBatch(t: HostTensor<'float32'>): HostTensor<'float32'>[] {
  const [b, ...rest] = t.shape;
  const n = rest.reduce((a, c) => a * c, 1);
  return Array.from({ length: b! }, (_, i) => ({ dtype: 'float32' as const, shape: rest, data: t.data.subarray(i * n, (i + 1) * n) }));
}
