/**
 * The value model of the restricted unpickler: Python values mapped to plain
 * JS where possible, plus a few small classes for what JS lacks.
 *
 *   None → null, bool → boolean, int → number (bigint beyond 2^53),
 *   float → number, str → string, bytes → Uint8Array, list → mutable array,
 *   tuple → frozen array, dict → PyDict, set/frozenset → PySet,
 *   an allowlisted global → PyGlobal, objects built by allowlisted callables
 *   → subclasses of PyHostObject.
 */

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | readonly PickleValue[]
  | PyDict
  | PySet
  | PyGlobal
  | PyHostObject;

/** A Python dict (or OrderedDict); `attrs` holds instance attributes set by BUILD (e.g. a state dict's `_metadata`). */
export class PyDict extends Map<PickleValue, PickleValue> {
  attrs: Map<string, PickleValue> | undefined;

  constructor(readonly pyType: string = 'dict') {
    super();
  }
}

export class PySet {
  readonly items: PickleValue[] = [];

  constructor(readonly frozen: boolean) {}
}

/** How an allowlisted global may be used. A global with neither function is a plain value (a dtype, a storage type). */
export interface GlobalSpec {
  /** REDUCE: `callable(*args)`. */
  readonly call?: (args: readonly PickleValue[]) => PickleValue;
  /** NEWOBJ: `cls.__new__(cls, *args)`; falls back to `call` when absent. */
  readonly construct?: (args: readonly PickleValue[]) => PickleValue;
}

/** Allowlist keyed by `module.name`, e.g. `collections.OrderedDict`. */
export type GlobalAllowlist = ReadonlyMap<string, GlobalSpec>;

/** A resolved, allowlisted global reference. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly spec: GlobalSpec,
  ) {}

  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Base of objects that allowlisted callables produce (tensor and storage references, numpy scalars...). */
export abstract class PyHostObject {
  abstract readonly pyType: string;

  /** BUILD opcode: apply pickled state. Refused unless a subclass allows it. */
  build(_state: PickleValue): void {
    throw new Error(`BUILD is not allowed on ${this.pyType}`);
  }
}

export function isTuple(v: PickleValue): v is readonly PickleValue[] {
  return Array.isArray(v) && Object.isFrozen(v);
}

export function isList(v: PickleValue): v is PickleValue[] {
  return Array.isArray(v) && !Object.isFrozen(v);
}

export function tuple(items: PickleValue[]): readonly PickleValue[] {
  return Object.freeze(items);
}

/** A Python int as a JS number, or throw. */
export function asInt(v: PickleValue | undefined, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  throw new Error(`${what}: expected an int, got ${describe(v)}`);
}

/** A short, safe description of a value's type for error messages. */
export function describe(v: PickleValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (isTuple(v)) return 'tuple';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyDict) return v.pyType;
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set';
  if (v instanceof PyGlobal) return v.qualname;
  return v.pyType;
}
