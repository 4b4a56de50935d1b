import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { writeFileAtomic } from '../checkpoint/atomic.js';
import type { DecodedImage } from '../data/decode.js';
import { decodeFrames } from '../data/decode.js';
import { hasDicomPreamble } from '../data/datasets/fs_scan.js';
import { writePng } from '../data/encode.js';
import type { Prediction } from '../predict/predictor.js';
import { Predictor } from '../predict/predictor.js';
import { maskRaster, overlay } from '../predict/render.js';
import { readTaskCheckpoint, runCheckpoint } from '../train/task_checkpoint.js';
import { int, parse, str, ttaArg } from './args.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

export const predictHelp = `usfm predict --weights CKPT|--run RUN_DIR --out DIR [--frames all|N] [--batch-size 8] [--pixel-size MM] [--tta none|hflip] INPUT...
  INPUT: images (PNG/JPEG/TIFF/WebP/BMP), DICOM files (every frame of a cine, or --frames N, 0-based) or folders of them.
  Segmentation: DIR/NAME_mask.png (0/255 for binary models, class index otherwise) and DIR/NAME_overlay.png
  at the input's own size; classification: class probabilities. Both: DIR/predictions.json (binary masks also get
  the fitted ellipse and its perimeter, in mm with --pixel-size). --tta hflip: the mean of each image's and its
  mirror image's probabilities (as usfm eval --tta), at twice the compute.`;

const INPUT_EXT = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.gif', '.bmp', '.dcm', '.dicom']);

/** Files named on the command line, folders expanded to their image/DICOM files (sorted, not recursive). */
async function expandInputs(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const st = await stat(p).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`${p}: ${e.code === 'ENOENT' ? 'no such file or folder' : `cannot read (${e.code ?? e.message})`}`);
    });
    if (!st.isDirectory()) {
      out.push(p);
      continue;
    }
    // Image/DICOM extensions, and DICOM files of any name by content (exports name them `IM1` or by UID).
    const files: string[] = [];
    for (const f of (await readdir(p)).sort()) {
      if (!f.startsWith('.') && (INPUT_EXT.has(extname(f).toLowerCase()) || await hasDicomPreamble(join(p, f)))) files.push(f);
    }
    if (!files.length) throw new Error(`${p}: folder has no images or DICOM files`);
    out.push(...files.map((f) => join(p, f)));
  }
  return out;
}

interface Frame {
  readonly input: string;
  readonly frame: number | null;
  readonly stem: string;
  readonly image: DecodedImage;
}

function parseFrames(v: unknown): 'all' | number {
  if (v === undefined || v === 'all') return 'all';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--frames must be 'all' or a frame index ≥ 0, got '${String(v)}'`);
  return n;
}

export async function predict(argv: readonly string[], io: Io): Promise<void> {
  const { values, positionals } = parse(argv, {
    weights: { type: 'string' }, run: { type: 'string' }, out: { type: 'string' }, frames: { type: 'string' },
    'batch-size': { type: 'string' }, 'pixel-size': { type: 'string' }, tta: { type: 'string' },
  });
  if ((values.run === undefined) === (values.weights === undefined)) throw new UsageError('give exactly one of --weights CKPT or --run RUN_DIR');
  if (!positionals.length) throw new UsageError(`no inputs; usage: ${predictHelp.split('\n')[0]}`);
  const out = str(values.out, 'out');
  const frames = parseFrames(values.frames);
  const pixelSize = values['pixel-size'] === undefined ? undefined : Number(values['pixel-size']);
  if (pixelSize !== undefined && !(pixelSize > 0 && Number.isFinite(pixelSize))) throw new UsageError(`--pixel-size must be a positive number (mm per pixel), got '${String(values['pixel-size'])}'`);
  const batchSize = int(values['batch-size'], 'batch-size', 8);
  const tta = ttaArg(values.tta);
  const ck = await readTaskCheckpoint(values.run !== undefined ? runCheckpoint(String(values.run)) : String(values.weights));

  // Decode everything first: a bad input fails the command before any output is written.
  const inputs = await expandInputs(positionals);
  const stems = new Map<string, string>();
  const all: Frame[] = [];
  for (const input of inputs) {
    // A UID-named DICOM file (1.2.840.….7) keeps its whole name: its last part is no extension.
    const ext = extname(input);
    const base = INPUT_EXT.has(ext.toLowerCase()) ? basename(input, ext) : basename(input);
    const imgs = await decodeFrames(input, frames);
    const multi = imgs.length > 1 || frames !== 'all';
    imgs.forEach((image, k) => {
      const frame = multi ? (frames === 'all' ? k : frames) : null;
      const stem = frame === null ? base : `${base}_f${String(frame).padStart(3, '0')}`;
      const clash = stems.get(stem);
      if (clash !== undefined) throw new UsageError(`${input}: same output name '${stem}' as ${clash}; rename one of them`);
      stems.set(stem, input);
      all.push({ input, frame, stem, image });
    });
  }
  await mkdir(out, { recursive: true });
  const predictor = new Predictor(ck, batchSize, tta);
  const names = ck.task.classNames ?? Array.from({ length: ck.task.classes }, (_, i) => (ck.task.task === 'seg' && i === 0 ? 'background' : String(i)));
  const records: Record<string, unknown>[] = [];
  try {
    const preds = await predictor.predict(all.map((f) => f.image));
    for (let i = 0; i < all.length; i++) {
      records.push(await writeOne(all[i]!, preds[i]!, out, names, pixelSize));
      io.err(`${all[i]!.stem}: ${describe(preds[i]!, names)}\n`);
    }
  } finally {
    await predictor.release();
  }
  const json = { weights: ck.path, task: ck.task.task, classes: names, imgSize: ck.task.imgSize, tta, pixelSizeMm: pixelSize ?? null, predictions: records };
  await writeFileAtomic(join(out, 'predictions.json'), [Buffer.from(`${JSON.stringify(json, null, 2)}\n`)]);
  io.out(`${all.length} prediction${all.length === 1 ? '' : 's'} from ${inputs.length} input${inputs.length === 1 ? '' : 's'} → ${out}\n`);
}

function describe(p: Prediction, names: readonly string[]): string {
  if (p.task === 'cls') return `${names[p.label]} (${(p.probabilities[p.label]! * 100).toFixed(1)}%)`;
  const fg = 1 - p.classPixels[0]! / (p.width * p.height);
  return `${(fg * 100).toFixed(1)}% foreground${p.ellipse ? `, ellipse perimeter ${p.ellipse.perimeter.toFixed(1)} px` : ''}`;
}

async function writeOne(f: Frame, p: Prediction, out: string, names: readonly string[], pixelSize?: number): Promise<Record<string, unknown>> {
  const base = { input: f.input, frame: f.frame, width: f.image.width, height: f.image.height };
  if (p.task === 'cls') {
    return { ...base, label: names[p.label], probabilities: Object.fromEntries(names.map((n, i) => [n, p.probabilities[i]])) };
  }
  const mask = `${f.stem}_mask.png`;
  const over = `${f.stem}_overlay.png`;
  await writePng(join(out, mask), maskRaster(p.labels, p.height, p.width, names.length));
  await writePng(join(out, over), overlay(f.image, p.labels));
  const e = p.ellipse;
  return {
    ...base, mask, overlay: over,
    classPixels: Object.fromEntries(names.map((n, i) => [n, p.classPixels[i]])),
    ...(e === undefined ? {} : {
      ellipse: e && {
        cx: e.cx, cy: e.cy, a: e.a, b: e.b, angleDeg: (e.angle * 180) / Math.PI, perimeterPx: e.perimeter,
        ...(pixelSize === undefined ? {} : { perimeterMm: e.perimeter * pixelSize }),
      },
    }),
  };
}
