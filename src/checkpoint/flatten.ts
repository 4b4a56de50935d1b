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
import { StorageRef, TensorRef } from './torch-refs.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface FlatCheckpoint<T> {
  readonly tensors: Map<string, T>;
  readonly meta: Record<string, JsonValue>;
}

/** Define an own enumerable property, so that a key like `__proto__` is data rather than a prototype change. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
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

/** Walk `tree`, collecting TensorRef leaves under dotted keys and everything else as metadata. */
export function flattenCheckpoint(tree: PickleValue): FlatCheckpoint<TensorRef> {
  const tensors = new Map<string, TensorRef>();
  const meta: Record<string, JsonValue> = {};
  const hasTensor = new Map<PickleValue, boolean>();
  const onPath = new Set<PickleValue>();

  const containsTensor = (v: PickleValue): boolean => {
    if (v instanceof TensorRef) return true;
    const kids = children(v);
    if (!kids) return false;
    const known = hasTensor.get(v);
    if (known !== undefined) return known;
    if (onPath.has(v)) throw new Error('checkpoint contains a reference cycle');
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
  const walk = (v: PickleValue, prefix: string, root: boolean): void => {
    if (v instanceof TensorRef) return add(tensors, prefix, v);
    const kids = root || containsTensor(v) ? children(v) : undefined;
    if (!kids) return add(meta, prefix, toJson(v));
    for (const [k, x] of kids) walk(x, prefix ? `${prefix}.${k}` : k, false);
  };
  walk(tree, '', true);
  return { tensors, meta };
}

/** A JSON-able rendering of any unpickled value (tuples and sets become arrays, bytes base64, globals their qualified name). */
export function toJson(v: PickleValue, depth = 0): JsonValue {
  if (depth > 100) throw new Error('checkpoint metadata is nested too deeply');
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (Array.isArray(v)) return v.map((x: PickleValue) => toJson(x, depth + 1));
  if (v instanceof PySet) return v.items.map((x) => toJson(x, depth + 1));
  if (v instanceof PyDict) {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, x] of v) setOwn(out, keyString(k), toJson(x, depth + 1));
    return out;
  }
  if (v instanceof PyGlobal) return v.qualname;
  if (v instanceof TensorRef) return `tensor ${v.storage.dtype}[${v.shape.join(',')}]`;
  if (v instanceof StorageRef) return `storage ${v.key}`;
  if (v instanceof NumpyDType) return v.code;
  if (v instanceof PyHostObject) return v.pyType;
  return describe(v);
}
