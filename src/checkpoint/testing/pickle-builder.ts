/**
 * Test-only: emit pickles the way CPython's protocol-2 pickler does for a
 * torch state dict, plus a raw opcode writer for hand-crafted streams.
 */
import { buildZip } from './zip-builder.js';

export class PickleWriter {
  private readonly out: number[] = [];
  private memoNext = 0;

  raw(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }

  text(s: string): this {
    return this.raw(...new TextEncoder().encode(s));
  }

  u32(n: number): this {
    return this.raw(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }

  proto(v = 2): this { return this.raw(0x80, v); }
  stop(): this { return this.raw(0x2e); }
  mark(): this { return this.raw(0x28); }
  none(): this { return this.raw(0x4e); }
  bool(b: boolean): this { return this.raw(b ? 0x88 : 0x89); }
  emptyDict(): this { return this.raw(0x7d); }
  emptyList(): this { return this.raw(0x5d); }
  emptyTuple(): this { return this.raw(0x29); }
  tuple(): this { return this.raw(0x74); }
  reduce(): this { return this.raw(0x52); }
  build(): this { return this.raw(0x62); }
  setitems(): this { return this.raw(0x75); }
  appends(): this { return this.raw(0x65); }
  binpersid(): this { return this.raw(0x51); }

  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.raw(0x58).u32(b.length).raw(...b);
  }

  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.raw(0x4a).u32(n);
    let v = BigInt(n);
    const bytes: number[] = [];
    while (v !== 0n && v !== -1n) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    }
    const negative = n < 0;
    if (bytes.length === 0 || ((bytes[bytes.length - 1]! & 0x80) !== 0) !== negative) bytes.push(negative ? 0xff : 0);
    return this.raw(0x8a, bytes.length, ...bytes);
  }

  float(x: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return this.raw(0x47, ...b);
  }

  global(module: string, name: string): this {
    return this.raw(0x63).text(`${module}\n${name}\n`);
  }

  /** BINPUT the top of stack into the next memo slot; returns the slot. */
  put(): number {
    const i = this.memoNext++;
    if (i < 256) this.raw(0x71, i);
    else this.raw(0x72).u32(i);
    return i;
  }

  get(i: number): this {
    return i < 256 ? this.raw(0x68, i) : this.raw(0x6a).u32(i);
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export interface StorageSpec {
  readonly key: string;
  /** e.g. 'FloatStorage' */
  readonly type: string;
  readonly numel: number;
}

export class TTensor {
  constructor(
    readonly storage: StorageSpec,
    readonly shape: number[],
    readonly stride: number[] = contiguousStrides(shape),
    readonly offset = 0,
    readonly parameter = false,
  ) {}
}

export class TTuple {
  constructor(readonly items: TValue[]) {}
}

export class TDict {
  constructor(
    readonly entries: Array<[string | number, TValue]>,
    readonly ordered = false,
  ) {}
}

export type TValue = null | boolean | number | string | TValue[] | TTuple | TDict | TTensor;

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Pickle `value` with torch.save's conventions (protocol 2, GLOBAL + REDUCE, BINPERSID storages, memoised globals). */
export function torchPickle(value: TValue): Uint8Array {
  const w = new PickleWriter().proto(2);
  const globals = new Map<string, number>();
  const global = (module: string, name: string): void => {
    const key = `${module}\n${name}`;
    const slot = globals.get(key);
    if (slot !== undefined) w.get(slot);
    else {
      w.global(module, name);
      globals.set(key, w.put());
    }
  };
  const orderedDict = (): void => {
    global('collections', 'OrderedDict');
    w.emptyTuple().reduce();
    w.put();
  };
  /** CPython's save_tuple: EMPTY_TUPLE, TUPLE1..3, or MARK ... TUPLE; then memoise. */
  const tupleOf = (emitItems: () => void, n: number): void => {
    if (n === 0) { w.emptyTuple(); return; }
    if (n > 3) w.mark();
    emitItems();
    w.raw(n > 3 ? 0x74 : [0x85, 0x86, 0x87][n - 1]!);
    w.put();
  };
  const ints = (xs: number[]): void => tupleOf(() => xs.forEach((x) => w.int(x)), xs.length);
  const emit = (v: TValue): void => {
    if (v === null) w.none();
    else if (typeof v === 'boolean') w.bool(v);
    else if (typeof v === 'number') { if (Number.isInteger(v)) w.int(v); else w.float(v); }
    else if (typeof v === 'string') { w.str(v); w.put(); }
    else if (Array.isArray(v)) {
      w.emptyList();
      w.put();
      if (v.length) { w.mark(); v.forEach(emit); w.appends(); }
    } else if (v instanceof TTuple) {
      tupleOf(() => v.items.forEach(emit), v.items.length);
    } else if (v instanceof TDict) {
      if (v.ordered) orderedDict();
      else { w.emptyDict(); w.put(); }
      if (v.entries.length) {
        w.mark();
        for (const [k, x] of v.entries) { emit(k); emit(x); }
        w.setitems();
      }
    } else {
      if (v.parameter) global('torch._utils', '_rebuild_parameter');
      global('torch._utils', '_rebuild_tensor_v2');
      w.mark();
      w.mark();
      emit('storage');
      global('torch', v.storage.type);
      emit(v.storage.key);
      emit('cpu');
      w.int(v.storage.numel);
      w.tuple();
      w.put();
      w.binpersid();
      w.int(v.offset);
      ints(v.shape);
      ints(v.stride);
      w.bool(false);
      orderedDict();
      w.tuple();
      w.put();
      w.reduce();
      w.put();
      if (v.parameter) {
        w.bool(true);
        orderedDict();
        w.raw(0x87); // TUPLE3 (data, requires_grad, backward_hooks)
        w.put();
        w.reduce();
        w.put();
      }
    }
  };
  emit(value);
  return w.stop().bytes();
}

export interface TorchSaveOptions {
  /** Folder name inside the zip (torch uses the file's stem or 'archive'). */
  readonly name?: string;
  /** Write a `byteorder` entry; storages must already be in that order. */
  readonly byteorder?: 'little' | 'big';
  readonly zip64?: boolean;
  readonly deflate?: boolean;
}

/** A whole `.pth` archive: data.pkl, data/<key> per storage, version (and byteorder). */
export function torchSave(value: TValue, storages: Readonly<Record<string, Uint8Array>>, options: TorchSaveOptions = {}): Uint8Array {
  const name = options.name ?? 'archive';
  const enc = new TextEncoder();
  const entries = [{ name: `${name}/data.pkl`, data: torchPickle(value), deflate: options.deflate }];
  if (options.byteorder) entries.push({ name: `${name}/byteorder`, data: enc.encode(options.byteorder), deflate: false });
  for (const [key, data] of Object.entries(storages)) entries.push({ name: `${name}/data/${key}`, data, deflate: options.deflate });
  entries.push({ name: `${name}/version`, data: enc.encode('3\n'), deflate: false });
  return buildZip(entries, { zip64: options.zip64, align: 64 });
}
