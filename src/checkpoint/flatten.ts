/**
 * Split an unpickled checkpoint tree into tensor leaves (dotted keys) and
 * JSON-able metadata. Containers holding tensors anywhere below are walked;
 * every other subtree becomes one metadata entry, e.g.
 *   {model: {'a.b': T}, epoch: 3, args: {lr: 0.1}}
 *   → tensors {'model.a.b': T}, meta {epoch: 3, args: {lr: 0.1}}.
 */
import { PyDict, PyGlobal, PyHostObject, PySet, describe } from './pickle-values.js';
import type { PickleValue } from './pickle-values.js';
import { NumpyDType } from './numpy-scalar.js';
import { setOwn } from './set-own.js';
import { StorageRef, TensorRef } from './torch-refs.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface FlatCheckpoint<T> {
  readonly tensors: Map<string, T>;
  readonly meta: Record<string, JsonValue>;
}

function keyString(k: PickleValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  if (k === null) return 'None';
  throw new Error(`unsupported dict key type ${describe(k)}`);
}

function children(v: PickleValue): Array<[string, PickleValue]> | undefined {
  if (v instanceof PyDict) return [...v].map(([k, x]) => [keyString(k), x]);
  if (Array.isArray(v)) return v.map((x: PickleValue, i: number) => [String(i), x]);
  return undefined;
}

/**
 * Shared references (the pickle memo) let a tiny pickle describe a huge tree:
 * L_k = [L_{k-1}, L_{k-1}] takes k opcodes but 2^k steps to walk. The first
 * visit of every container is free (it costs opcodes, so it is bounded by the
 * pickle's size); everything walked again through a shared container is
 * charged against these limits.
 */
export const MAX_SHARED_NODES = 1_000_000;
/** Characters of string / bytes leaves re-emitted through shared containers. */
export const MAX_SHARED_TEXT = 64 * 1024 * 1024;
/** The message (after the file name) when a walk exceeds its budget or meets a cycle. */
export const TOO_LARGE = 'pickle structure too large/cyclic';
const MAX_DEPTH = 1000;

export interface WalkLimits {
  readonly maxSharedNodes?: number;
  readonly maxSharedText?: number;
}

/** Visit accounting shared by one flatten or toJson call. */
class Walk {
  private readonly seen = new Set<object>();
  private readonly onPath = new Set<object>();
  private nodes = 0;
  private text = 0;
  private readonly maxNodes: number;
  private readonly maxText: number;

  constructor(limits: WalkLimits = {}) {
    this.maxNodes = limits.maxSharedNodes ?? MAX_SHARED_NODES;
    this.maxText = limits.maxSharedText ?? MAX_SHARED_TEXT;
  }

  /** Charge a visit of `v`; `shared` says whether it is reached again through an already walked container. */
  charge(v: PickleValue, shared: boolean): void {
    if (!shared) return;
    if (++this.nodes > this.maxNodes) throw new Error(`${TOO_LARGE} (more than ${this.maxNodes} nodes reached through shared references)`);
    const len = typeof v === 'string' ? v.length : v instanceof Uint8Array ? v.length : 0;
    if (len && (this.text += len) > this.maxText) throw new Error(`${TOO_LARGE} (more than ${this.maxText} bytes of text reached through shared references)`);
  }

  /** Enter container `c`: throws on a cycle; returns whether `c` (or anything above it) was walked before. */
  enter(c: object, shared: boolean): boolean {
    if (this.onPath.has(c)) throw new Error(`${TOO_LARGE} (a container contains itself)`);
    if (this.onPath.size >= MAX_DEPTH) throw new Error(`checkpoint is nested more than ${MAX_DEPTH} levels deep`);
    this.onPath.add(c);
    const again = shared || this.seen.has(c);
    this.seen.add(c);
    return again;
  }

  leave(c: object): void {
    this.onPath.delete(c);
  }
}

/** Walk `tree`, collecting TensorRef leaves under dotted keys and everything else as metadata. */
export function flattenCheckpoint(tree: PickleValue, limits?: WalkLimits): FlatCheckpoint<TensorRef> {
  const tensors = new Map<string, TensorRef>();
  const meta: Record<string, JsonValue> = {};
  const hasTensor = new Map<PickleValue, boolean>();
  const onPath = new Set<PickleValue>();
  const budget = new Walk(limits);

  const containsTensor = (v: PickleValue): boolean => {
    if (v instanceof TensorRef) return true;
    const kids = children(v);
    if (!kids) return false;
    const known = hasTensor.get(v);
    if (known !== undefined) return known;
    if (onPath.has(v)) throw new Error(`${TOO_LARGE} (a container contains itself)`);
    if (onPath.size >= MAX_DEPTH) throw new Error(`checkpoint is nested more than ${MAX_DEPTH} levels deep`);
    onPath.add(v);
    const found = kids.some(([, x]) => containsTensor(x));
    onPath.delete(v);
    hasTensor.set(v, found);
    return found;
  };
  const add = <T>(map: Map<string, T> | Record<string, T>, key: string, value: T): void => {
    if (tensors.has(key) || Object.hasOwn(meta, key)) throw new Error(`two checkpoint entries flatten to the key "${key}"`);
    if (map instanceof Map) map.set(key, value);
    else setOwn(map, key, value);
  };
  const walk = (v: PickleValue, prefix: string, root: boolean, shared: boolean): void => {
    budget.charge(v, shared);
    if (v instanceof TensorRef) return add(tensors, prefix, v);
    const kids = root || containsTensor(v) ? children(v) : undefined;
    if (!kids) return add(meta, prefix, jsonOf(v, 0, budget, shared));
    const c = v as object;
    const again = budget.enter(c, shared);
    for (const [k, x] of kids) walk(x, prefix ? `${prefix}.${k}` : k, false, again);
    budget.leave(c);
  };
  walk(tree, '', true, false);
  return { tensors, meta };
}

/**
 * A JSON-able rendering of any unpickled value (tuples and sets become arrays,
 * bytes base64, globals their qualified name). Throws on cycles and on shared
 * references that would expand past the walk limits.
 */
export function toJson(v: PickleValue, limits?: WalkLimits): JsonValue {
  return jsonOf(v, 0, new Walk(limits), false);
}

function jsonOf(v: PickleValue, depth: number, budget: Walk, shared: boolean): JsonValue {
  if (depth > 100) throw new Error('checkpoint metadata is nested too deeply');
  budget.charge(v, shared);
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  const list = Array.isArray(v) ? v : v instanceof PySet ? v.items : undefined;
  if (list || v instanceof PyDict) {
    const c = v as object;
    const again = budget.enter(c, shared);
    let out: JsonValue;
    if (list) out = list.map((x: PickleValue) => jsonOf(x, depth + 1, budget, again));
    else {
      const obj: { [key: string]: JsonValue } = {};
      for (const [k, x] of v as PyDict) setOwn(obj, keyString(k), jsonOf(x, depth + 1, budget, again));
      out = obj;
    }
    budget.leave(c);
    return out;
  }
  if (v instanceof PyGlobal) return v.qualname;
  if (v instanceof TensorRef) return `tensor ${v.storage.dtype}[${v.shape.join(',')}]`;
  if (v instanceof StorageRef) return `storage ${v.key}`;
  if (v instanceof NumpyDType) return v.code;
  if (v instanceof PyHostObject) return v.pyType;
  return describe(v);
}
