import type { HostTensor } from '../../core/host.js';
import { toFloat32 } from '../../core/host.js';
import type { ParamSpec } from '../../nn/var_builder.js';
import { resizeRelPosTable } from './table_resize.js';

export interface FilterOptions {
  /** Name used in error messages (the checkpoint's path). */
  readonly file: string;
  /** Patch window the checkpoint's tables were trained at; default: square, inferred from the table size. */
  readonly sourceWindow?: readonly [number, number];
  /** Target patch window of the model. */
  readonly targetWindow: readonly [number, number];
  /** Model parameters that may be absent from the checkpoint (e.g. a new task head). */
  readonly allowMissing?: (name: string) => boolean;
  /** Checkpoint keys to drop silently besides the known ones (e.g. a pretraining decoder). */
  readonly ignore?: (name: string) => boolean;
}

export interface FilterResult {
  readonly tensors: Map<string, HostTensor<'float32'>>;
  /** Parameters the model has that the checkpoint did not provide (allowed by `allowMissing`). */
  readonly missing: string[];
  /** What the filter did, for `usfm info` and logs. */
  readonly notes: string[];
}

const WRAPPERS = ['state_dict.', 'model.', 'module.', 'encoder.'];
const SHARED_TABLE = 'rel_pos_bias.relative_position_bias_table';
const BLOCK_TABLE = /^blocks\.(\d+)\.attn\.relative_position_bias_table$/;

function squareWindow(rows: number, file: string, key: string): [number, number] {
  const side = Math.round(Math.sqrt(rows - 3));
  if (side * side !== rows - 3 || side % 2 === 0) throw new Error(`${file}: ${key} has ${rows} rows, not a square window's table; pass the source window`);
  const s = (side + 1) / 2;
  return [s, s];
}

/** Strip wrapper prefixes ('model.', 'state_dict.', 'module.', 'encoder.'), keeping only keys under them. */
export function unwrapKeys(raw: ReadonlyMap<string, HostTensor>, notes: string[]): Map<string, HostTensor> {
  let cur = new Map(raw);
  for (let round = 0; round < WRAPPERS.length; round++) {
    const p = WRAPPERS.find((w) => [...cur.keys()].some((k) => k.startsWith(w)));
    if (!p) break;
    const next = new Map<string, HostTensor>();
    const others: string[] = [];
    for (const [k, v] of cur) {
      if (k.startsWith(p)) next.set(k.slice(p.length), v);
      else others.push(k);
    }
    notes.push(`unwrapped '${p}'${others.length ? `, ignored ${others.length} keys outside it (e.g. ${others[0]})` : ''}`);
    cur = next;
  }
  return cur;
}

/**
 * All key surgery between a USFM-family checkpoint and a model, in one place: unwrap prefixes, drop
 * index buffers, share/unshare relative-position tables, resize them to the model's window, convert to
 * float32, then load strictly (missing, unexpected and mis-shaped keys are errors naming the key).
 */
export function usfmCheckpointFilter(raw: ReadonlyMap<string, HostTensor>, specs: readonly ParamSpec[], opts: FilterOptions): FilterResult {
  const notes: string[] = [];
  const src = unwrapKeys(raw, notes);
  const want = new Map(specs.map((s) => [s.name, s]));
  const out = new Map<string, HostTensor<'float32'>>();
  let dropped = 0;
  for (const [k, v] of src) {
    if (k.endsWith('relative_position_index')) { dropped++; continue; }
    if (opts.ignore?.(k)) continue;
    if (v.dtype !== 'float32' && v.dtype !== 'float16' && v.dtype !== 'bfloat16' && v.dtype !== 'float64') {
      throw new Error(`${opts.file}: ${k} has dtype ${v.dtype}; parameters must be floating point`);
    }
    out.set(k, toFloat32(v));
  }
  if (dropped) notes.push(`dropped ${dropped} relative_position_index buffer(s) (recomputed)`);
  // Shared ↔ per-block tables.
  const modelShared = want.has(SHARED_TABLE);
  const shared = out.get(SHARED_TABLE);
  if (shared && !modelShared) {
    out.delete(SHARED_TABLE);
    let n = 0;
    for (const name of want.keys()) if (BLOCK_TABLE.test(name)) { out.set(name, shared); n++; }
    notes.push(`copied the shared relative position table into ${n} blocks`);
  } else if (!shared && modelShared) {
    const blockTables = [...out.keys()].filter((k) => BLOCK_TABLE.test(k)).sort();
    if (blockTables.length) {
      throw new Error(`${opts.file}: has per-block relative position tables (${blockTables[0]}…) but the model shares one table`);
    }
  }
  // Resize tables to the model's window.
  for (const [k, v] of out) {
    if (!(k === SHARED_TABLE || BLOCK_TABLE.test(k))) continue;
    const target = want.get(k);
    if (!target) continue;
    // Decide by window, not row count: e.g. 24×16 and 16×24 windows have equally many rows.
    const to = opts.targetWindow;
    const from = opts.sourceWindow ?? (target.shape[0] === v.shape[0] ? to : squareWindow(v.shape[0]!, opts.file, k));
    if (from[0] === to[0] && from[1] === to[1]) continue;
    out.set(k, resizeRelPosTable(v, from, to));
    if (k === SHARED_TABLE || k.startsWith('blocks.0.')) notes.push(`resized relative position tables ${from.join('×')} → ${opts.targetWindow.join('×')}`);
  }
  const unexpected = [...out.keys()].filter((k) => !want.has(k));
  const missingAll = [...want.keys()].filter((k) => !out.has(k));
  const missing = missingAll.filter((k) => opts.allowMissing?.(k));
  const hardMissing = missingAll.filter((k) => !opts.allowMissing?.(k));
  const problems: string[] = [];
  if (hardMissing.length) problems.push(`missing ${hardMissing.length} key(s): ${hardMissing.slice(0, 8).join(', ')}${hardMissing.length > 8 ? ', …' : ''}`);
  if (unexpected.length) problems.push(`unexpected ${unexpected.length} key(s): ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ', …' : ''}`);
  for (const [k, v] of out) {
    const s = want.get(k);
    if (s && (s.shape.length !== v.shape.length || s.shape.some((d, i) => d !== v.shape[i]))) {
      problems.push(`${k}: checkpoint [${v.shape.join(',')}] vs model [${s.shape.join(',')}]`);
    }
  }
  if (problems.length) throw new Error(`${opts.file}: does not fit the model: ${problems.join('; ')}`);
  return { tensors: out, missing, notes };
}
