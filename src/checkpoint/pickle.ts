/**
 * A restricted unpickler for protocols 2–5. It never executes anything: GLOBAL
 * and STACK_GLOBAL resolve only against a caller-supplied allowlist and throw,
 * naming the global, the moment anything else is referenced; REDUCE / NEWOBJ /
 * BUILD can only reach allowlisted handlers. Opcodes outside the set a tensor
 * state dict needs are rejected with their name and offset.
 */
import type { GlobalAllowlist, PickleValue } from './pickle-values.js';
import { PyDict, PyGlobal, PyHostObject, PySet, describe, isList, isTuple, tuple } from './pickle-values.js';
import { OP, isKnownOpcode, opcodeName } from './pickle-opcodes.js';

export type PickleErrorKind = 'refused' | 'truncated' | 'unsupported' | 'corrupt';

export class PickleError extends Error {
  override readonly name = 'PickleError';

  constructor(
    message: string,
    readonly offset: number,
    readonly kind: PickleErrorKind = 'corrupt',
  ) {
    super(message);
  }
}

export interface UnpickleOptions {
  /** Globals that may be referenced, keyed `module.name`. Everything else is refused. */
  readonly globals: GlobalAllowlist;
  /** BINPERSID handler; without one, persistent ids are refused. */
  readonly persistentLoad?: (pid: PickleValue) => PickleValue;
}

const MAX_LONG_BYTES = 1024;
const MAX_LINE = 1024;
const utf8 = new TextDecoder('utf-8');

/** Unpickle `data` (one pickle, up to STOP). */
export function unpickle(data: Uint8Array, options: UnpickleOptions): PickleValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  let at = 0;

  function fail(msg: string, kind: PickleErrorKind = 'corrupt'): never {
    throw new PickleError(`${msg} at offset ${at}`, at, kind);
  }
  const need = (n: number): number => {
    if (n > data.length - pos) fail(`truncated pickle (${opcodeName(data[at] ?? 0)} needs ${n} more bytes)`, 'truncated');
    const p = pos;
    pos += n;
    return p;
  };
  const u8 = (): number => data[need(1)]!;
  const u16 = (): number => view.getUint16(need(2), true);
  const i32 = (): number => view.getInt32(need(4), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(data.length)) fail(`truncated pickle (length ${v} exceeds the data)`, 'truncated');
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    const p = need(n);
    return data.subarray(p, p + n);
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0 || end - pos > MAX_LINE) fail('truncated pickle (unterminated GLOBAL line)', 'truncated');
    const s = utf8.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    if (stack.length <= (marks[marks.length - 1] ?? 0)) fail(`stack underflow in ${opcodeName(data[at] ?? 0)}`);
    return stack.pop()!;
  };
  const top = (): PickleValue => {
    if (stack.length <= (marks[marks.length - 1] ?? 0)) fail(`stack underflow in ${opcodeName(data[at] ?? 0)}`);
    return stack[stack.length - 1]!;
  };
  const popMark = (): PickleValue[] => {
    const m = marks.pop();
    if (m === undefined) fail(`${opcodeName(data[at] ?? 0)} without MARK`);
    return stack.splice(m);
  };
  const resolve = (module: string, name: string): PyGlobal => {
    const qual = `${module}.${name}`;
    const spec = options.globals.get(qual);
    if (!spec) fail(`refused global ${qual}`, 'refused');
    return new PyGlobal(module, name, spec);
  };
  const invoke = (fn: ((args: readonly PickleValue[]) => PickleValue) | undefined, label: string, args: PickleValue): PickleValue => {
    if (!isTuple(args)) fail(`arguments for ${label} are a ${describe(args)}, not a tuple`);
    if (!fn) fail(`${label} is not callable here`, 'refused');
    try {
      return fn(args);
    } catch (e) {
      if (e instanceof PickleError) throw e;
      return fail(`${label}: ${(e as Error).message}`);
    }
  };
  const setItems = (d: PickleValue, items: PickleValue[]): void => {
    if (!(d instanceof PyDict)) fail(`cannot set items on a ${describe(d)}`);
    if (items.length % 2) fail('odd number of items for SETITEMS');
    for (let i = 0; i < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
  };
  const appendItems = (l: PickleValue, items: PickleValue[]): void => {
    if (!isList(l)) fail(`cannot append to a ${describe(l)}`);
    for (const it of items) l.push(it);
  };
  const str = (n: number): string => utf8.decode(bytes(n));
  const long = (n: number): number | bigint => {
    if (n > MAX_LONG_BYTES) fail(`integer of ${n} bytes is too large`, 'unsupported');
    const b = bytes(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    at = pos;
    if (pos >= data.length) fail('truncated pickle (no STOP opcode)', 'truncated');
    const op = data[pos++]!;
    switch (op) {
      case OP.PROTO: {
        const proto = u8();
        if (proto > 5) fail(`unsupported pickle protocol ${proto}`, 'unsupported');
        break;
      }
      case OP.FRAME: u64(); break;
      case OP.STOP: {
        if (stack.length !== 1 || marks.length) fail(`STOP with ${stack.length} values and ${marks.length} marks on the stack`);
        return stack[0]!;
      }
      case OP.MARK: marks.push(stack.length); break;
      case OP.POP: if (stack.length > (marks[marks.length - 1] ?? 0)) stack.pop(); else popMark(); break;
      case OP.POP_MARK: popMark(); break;
      case OP.DUP: stack.push(top()); break;
      case OP.NONE: stack.push(null); break;
      case OP.NEWTRUE: stack.push(true); break;
      case OP.NEWFALSE: stack.push(false); break;
      case OP.BININT: stack.push(i32()); break;
      case OP.BININT1: stack.push(u8()); break;
      case OP.BININT2: stack.push(u16()); break;
      case OP.LONG1: stack.push(long(u8())); break;
      case OP.LONG4: {
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(long(n));
        break;
      }
      case OP.BINFLOAT: stack.push(view.getFloat64(need(8), false)); break;
      case OP.SHORT_BINUNICODE: stack.push(str(u8())); break;
      case OP.BINUNICODE: stack.push(str(u32())); break;
      case OP.BINUNICODE8: stack.push(str(u64())); break;
      case OP.SHORT_BINBYTES: stack.push(bytes(u8()).slice()); break;
      case OP.BINBYTES: stack.push(bytes(u32()).slice()); break;
      case OP.BINBYTES8: case OP.BYTEARRAY8: stack.push(bytes(u64()).slice()); break;
      case OP.EMPTY_DICT: stack.push(new PyDict()); break;
      case OP.EMPTY_LIST: stack.push([]); break;
      case OP.EMPTY_TUPLE: stack.push(tuple([])); break;
      case OP.EMPTY_SET: stack.push(new PySet(false)); break;
      case OP.TUPLE: stack.push(tuple(popMark())); break;
      case OP.TUPLE1: stack.push(tuple([pop()])); break;
      case OP.TUPLE2: { const b = pop(); const a = pop(); stack.push(tuple([a, b])); break; }
      case OP.TUPLE3: { const c = pop(); const b = pop(); const a = pop(); stack.push(tuple([a, b, c])); break; }
      case OP.LIST: stack.push(popMark()); break;
      case OP.DICT: { const items = popMark(); const d = new PyDict(); setItems(d, items); stack.push(d); break; }
      case OP.FROZENSET: { const s = new PySet(true); for (const x of popMark()) s.items.push(x); stack.push(s); break; }
      case OP.APPEND: { const v = pop(); appendItems(top(), [v]); break; }
      case OP.APPENDS: { const items = popMark(); appendItems(top(), items); break; }
      case OP.SETITEM: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; }
      case OP.SETITEMS: { const items = popMark(); setItems(top(), items); break; }
      case OP.ADDITEMS: {
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet) || s.frozen) fail(`cannot add items to a ${describe(s)}`);
        for (const x of items) s.items.push(x);
        break;
      }
      case OP.BINPUT: memo.set(u8(), top()); break;
      case OP.LONG_BINPUT: memo.set(u32(), top()); break;
      case OP.MEMOIZE: memo.set(memo.size, top()); break;
      case OP.BINGET: case OP.LONG_BINGET: {
        const key = op === OP.BINGET ? u8() : u32();
        const v = memo.get(key);
        if (v === undefined) fail(`memo key ${key} is missing`);
        stack.push(v);
        break;
      }
      case OP.GLOBAL: { const module = line(); const name = line(); stack.push(resolve(module, name)); break; }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL needs two str, got ${describe(module)} and ${describe(name)}`);
        stack.push(resolve(module, name));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyGlobal)) fail(`cannot call a ${describe(fn)}`, 'refused');
        stack.push(invoke(fn.spec.call, fn.qualname, args));
        break;
      }
      case OP.NEWOBJ: case OP.NEWOBJ_EX: {
        if (op === OP.NEWOBJ_EX) {
          const kwargs = pop();
          if (!(kwargs instanceof PyDict) || kwargs.size) fail('NEWOBJ_EX with keyword arguments is not supported', 'unsupported');
        }
        const args = pop();
        const cls = pop();
        if (!(cls instanceof PyGlobal)) fail(`cannot instantiate a ${describe(cls)}`, 'refused');
        stack.push(invoke(cls.spec.construct ?? cls.spec.call, cls.qualname, args));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict) buildDict(obj, state, fail);
        else if (obj instanceof PyHostObject) invoke((args) => { obj.build(args[0]!); return null; }, `BUILD of ${obj.pyType}`, tuple([state]));
        else fail(`BUILD is not allowed on ${describe(obj)}`, 'refused');
        break;
      }
      case OP.BINPERSID: {
        const pid = pop();
        const load = options.persistentLoad;
        if (!load) fail('persistent ids are not allowed here', 'refused');
        stack.push(invoke((args) => load(args[0]!), 'persistent_load', tuple([pid])));
        break;
      }
      default:
        fail(`${isKnownOpcode(op) ? 'unsupported' : 'unknown'} pickle opcode ${opcodeName(op)}`, 'unsupported');
    }
  }
}

/** BUILD on a dict subclass: the state is its `__dict__`, optionally paired with slot state. */
function buildDict(d: PyDict, state: PickleValue, fail: (msg: string) => never): void {
  let attrs = state;
  if (isTuple(state) && state.length === 2) attrs = state[0]!;
  if (attrs === null) return;
  if (!(attrs instanceof PyDict)) return fail(`BUILD state for ${d.pyType} is a ${describe(attrs)}`);
  d.attrs ??= new Map();
  for (const [k, v] of attrs) {
    if (typeof k !== 'string') fail(`BUILD attribute name is a ${describe(k)}`);
    d.attrs.set(k, v);
  }
}
