import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostTensor } from '../core/host.js';
import { writeFileAtomic } from '../checkpoint/atomic.js';
import { readSafetensors, writeSafetensors } from '../checkpoint/safetensors.js';
import type { AdamW } from './adamw.js';
import type { ParamSet } from './param_set.js';

/** Where a run stands: enough to continue it exactly. */
export interface RunPosition {
  /** Epoch in progress (0-based) and how many of its batches are done. */
  readonly epoch: number;
  readonly batchesDone: number;
  readonly globalStep: number;
  readonly bestScore: number;
  /** State of the drop-path RNG. */
  readonly rng: number;
  /** States of any other RNGs the run draws from (e.g. pretraining's masker), by name. */
  readonly rngs?: Readonly<Record<string, number>>;
  /** Wall-clock seconds the run has spent up to this save, over all its sessions (absent in states saved before it was kept). */
  readonly seconds?: number;
  /**
   * Saved mid-epoch: the epoch's running sums so far (e.g. loss·images, images, seconds), so that its
   * metrics line after `--resume` covers the whole epoch, not only the batches after the resume.
   */
  readonly epochSums?: Readonly<Record<string, number>>;
}

const STATE = 'state.json';
const OPTIONS = 'options.json';

/** A clock of a run's wall-clock seconds that goes on from the `before` seconds of its earlier sessions. */
export function runClock(before = 0): () => number {
  const t0 = performance.now();
  return () => before + (performance.now() - t0) / 1000;
}

/** Where the run in `dir` stands by its saved state, or null when it has none (not started, or no epoch finished nor Ctrl-C saved). */
export async function savedPosition(dir: string): Promise<RunPosition | null> {
  return existsSync(join(dir, STATE)) ? readPosition(dir) : null;
}

/** Files whose presence marks a folder as holding a run. */
const RUN_MARKERS = [OPTIONS, STATE, 'last.safetensors', 'metrics.jsonl'];

/** `out` must be a folder or not exist yet (an output folder given as --out). */
export async function checkOutFolder(out: string): Promise<void> {
  if (existsSync(out) && !(await stat(out)).isDirectory()) throw new Error(`${out}: --out is a file, not a folder`);
}

/**
 * Before a new run writes to `out`: refuse a file, and a folder that holds a run already — writing over it
 * would lose that run and mix two runs' metrics and resume state.
 */
export async function checkNewRunFolder(out: string): Promise<void> {
  await checkOutFolder(out);
  const found = RUN_MARKERS.find((f) => existsSync(join(out, f)));
  if (found) throw new Error(`${out}: holds a run already (${found}); continue it with --resume ${out}, or choose another --out`);
}

async function readPosition(dir: string): Promise<RunPosition> {
  const path = join(dir, STATE);
  let p: unknown;
  try {
    p = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot resume (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const counts = ['epoch', 'batchesDone', 'globalStep', 'rng'] as const;
  const bad = typeof p !== 'object' || p === null ? 'not an object' : counts.find((k) => !Number.isInteger((p as Record<string, unknown>)[k]));
  if (bad !== undefined) throw new Error(`${path}: cannot resume (not a run state: ${bad === 'not an object' ? bad : `no integer ${bad}`})`);
  return p as RunPosition;
}

/** Record the options a run starts with (RUN_DIR/options.json), so `--resume RUN_DIR` needs only the folder. */
export async function saveRunOptions<T extends { readonly out: string; readonly resume?: boolean }>(o: T): Promise<void> {
  const { resume: _r, ...saved } = o;
  await writeFileAtomic(join(o.out, OPTIONS), [new TextEncoder().encode(`${JSON.stringify(saved, null, 2)}\n`)]);
}

/**
 * The options a run was started with, set to resume in `dir`. `fits` checks they are options of this kind
 * of run (`kind`, e.g. 'pretraining'), so another command's folder is refused by name rather than misread.
 */
export async function readSavedOptions<T>(
  dir: string, kind: string, fits: (o: Readonly<Record<string, unknown>>) => boolean,
): Promise<T & { out: string; resume: true }> {
  const path = join(dir, OPTIONS);
  let saved: unknown;
  try {
    saved = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot resume this run (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved) || !fits(saved as Record<string, unknown>)) {
    throw new Error(`${path}: not the options of a ${kind} run; --resume takes a folder that a ${kind} run wrote`);
  }
  return { ...(saved as T), out: dir, resume: true };
}
const PARAMS = (step: number): string => join('resume', `params-${step}.safetensors`);
const OPTIM = (step: number): string => join('resume', `optim-${step}.safetensors`);

/**
 * Save parameters, optimizer state and position for `--resume`. The step-tagged files are written
 * atomically first, state.json (naming the step) last, and only then are older files removed: a kill
 * at any moment leaves state.json pointing at a complete pair.
 */
export async function saveRun(dir: string, ps: ParamSet, opt: AdamW, pos: RunPosition, meta: Record<string, string>): Promise<void> {
  const tag = String(pos.globalStep);
  await mkdir(join(dir, 'resume'), { recursive: true });
  await writeSafetensors(join(dir, PARAMS(pos.globalStep)), ps.snapshot(), { ...meta, 'usfm.step': tag });
  const s = opt.state();
  const optim = new Map<string, HostTensor>([
    ['m', { dtype: 'float32', shape: [s.m.length], data: s.m }],
    ['v', { dtype: 'float32', shape: [s.v.length], data: s.v }],
    ['param_steps', { dtype: 'float64', shape: [s.paramSteps.length], data: s.paramSteps }],
  ]);
  await writeSafetensors(join(dir, OPTIM(pos.globalStep)), optim, { 'usfm.step': tag, 'usfm.optimizer_step': String(s.step) });
  await writeFileAtomic(join(dir, STATE), [new TextEncoder().encode(`${JSON.stringify(pos)}\n`)]);
  const keep = new Set([`params-${tag}.safetensors`, `optim-${tag}.safetensors`]);
  for (const f of await readdir(join(dir, 'resume'))) if (!keep.has(f)) await rm(join(dir, 'resume', f), { force: true });
}

/** The parameter file of the run's saved position (it carries the checkpoint metadata given to saveRun). */
export async function savedParamsFile(dir: string): Promise<string> {
  return join(dir, PARAMS((await readPosition(dir)).globalStep));
}

/** Load what saveRun wrote (parameters into `ps`, state into `opt`); returns the position. */
export async function loadRun(dir: string, ps: ParamSet, opt: AdamW): Promise<RunPosition> {
  const pos = await readPosition(dir);
  const pf = join(dir, PARAMS(pos.globalStep));
  const of = join(dir, OPTIM(pos.globalStep));
  const params = await readSafetensors(pf);
  const optim = await readSafetensors(of);
  for (const slot of ps.slots) {
    const t = params.tensors.get(slot.spec.name);
    if (!t || t.dtype !== 'float32') throw new Error(`${pf}: missing or non-float32 ${slot.spec.name}`);
    ps.write(slot.spec.name, t.data as Float32Array);
  }
  const m = optim.tensors.get('m');
  const v = optim.tensors.get('v');
  const steps = optim.tensors.get('param_steps');
  if (!m || !v || !steps) throw new Error(`${of}: missing m, v or param_steps`);
  opt.restore({ step: Number(optim.metadata['usfm.optimizer_step']), paramSteps: steps.data as Float64Array, m: m.data as Float32Array, v: v.data as Float32Array });
  return pos;
}
