/**
 * The globals a torch checkpoint may reference, modelled on torch's own
 * `torch.load(weights_only=True)` unpickler: containers, tensor and storage
 * rebuild functions, storage types, dtypes and a few harmless builtins.
 * Anything else (os.system, builtins.eval, subprocess.Popen, ...) is refused by
 * the unpickler before it can be called.
 */
import { NUMPY_GLOBALS } from './numpy-scalar.js';
import type { UnpickleOptions } from './pickle.js';
import { PyDict, PyGlobal, PySet, asInt, describe, isList, isTuple, tuple } from './pickle-values.js';
import type { GlobalSpec, PickleValue } from './pickle-values.js';
import { STORAGE_TYPES, StorageRef, TensorRef } from './torch-refs.js';

const TORCH_DTYPES = [
  'float32', 'float', 'float16', 'half', 'bfloat16', 'float64', 'double', 'int64', 'long',
  'int32', 'int', 'int16', 'short', 'int8', 'uint8', 'bool', 'complex64', 'complex128',
];

function ints(v: PickleValue | undefined, what: string): number[] {
  if (v === undefined || !(isTuple(v) || isList(v))) throw new Error(`${what}: expected a tuple of ints, got ${describe(v)}`);
  return v.map((x) => {
    const n = asInt(x, what);
    if (n < 0) throw new Error(`${what}: negative value ${n}`);
    return n;
  });
}

function items(v: PickleValue | undefined, what: string): PickleValue[] {
  if (v === undefined) return [];
  if (isTuple(v) || isList(v)) return [...v];
  if (v instanceof PySet) return [...v.items];
  if (v instanceof PyDict) return [...v.keys()];
  throw new Error(`${what}: cannot iterate a ${describe(v)}`);
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: readonly PickleValue[]): PickleValue {
  const [storage, offsetV, sizeV, strideV, requiresGrad] = args;
  if (!(storage instanceof StorageRef)) throw new Error(`expected a storage, got ${describe(storage)}`);
  const offset = asInt(offsetV, 'storage_offset');
  const shape = ints(sizeV, 'size');
  const stride = ints(strideV, 'stride');
  if (offset < 0) throw new Error(`negative storage offset ${offset}`);
  if (stride.length !== shape.length) throw new Error(`size has ${shape.length} dims but stride has ${stride.length}`);
  if (!Number.isSafeInteger(shape.reduce((a, d) => a * d, 1))) throw new Error(`view of size [${shape.join(', ')}] has too many elements`);
  if (!shape.includes(0)) {
    let last = offset;
    shape.forEach((d, i) => { last += (d - 1) * stride[i]!; });
    if (last >= storage.numel) {
      throw new Error(`view (offset ${offset}, size [${shape.join(', ')}], stride [${stride.join(', ')}]) reaches past storage ${storage.key} of ${storage.numel} elements`);
    }
  }
  return new TensorRef(storage, offset, shape, stride, requiresGrad === true);
}

/** `_rebuild_parameter(data, requires_grad, backward_hooks[, state])`: the parameter is its data. */
function rebuildParameter(args: readonly PickleValue[]): PickleValue {
  const [data, requiresGrad] = args;
  if (!(data instanceof TensorRef)) throw new Error(`expected a tensor, got ${describe(data)}`);
  return new TensorRef(data.storage, data.offset, data.shape, data.stride, requiresGrad === true);
}

/** `_rebuild_from_type_v2(func, new_type, args, state)`, for plain tensors and Parameters only. */
function rebuildFromType(args: readonly PickleValue[]): PickleValue {
  const [func, newType, inner] = args;
  if (!(newType instanceof PyGlobal) || (newType.qualname !== 'torch.Tensor' && newType.qualname !== 'torch.nn.parameter.Parameter')) {
    throw new Error(`tensor type ${describe(newType)} is not allowed`);
  }
  if (!(func instanceof PyGlobal) || !func.spec.call) throw new Error(`${describe(func)} is not callable`);
  if (inner === undefined || !isTuple(inner)) throw new Error(`expected an argument tuple, got ${describe(inner)}`);
  return func.spec.call(inner);
}

function orderedDict(args: readonly PickleValue[]): PickleValue {
  const d = new PyDict('collections.OrderedDict');
  for (const pair of items(args[0], 'OrderedDict')) {
    if (!(isTuple(pair) || isList(pair)) || pair.length !== 2) throw new Error(`OrderedDict item is a ${describe(pair)}, not a pair`);
    d.set(pair[0]!, pair[1]!);
  }
  return d;
}

function makeSet(frozen: boolean): GlobalSpec {
  return {
    call: (args) => {
      const s = new PySet(frozen);
      for (const x of items(args[0], frozen ? 'frozenset' : 'set')) s.items.push(x);
      return s;
    },
  };
}

function buildGlobals(): Map<string, GlobalSpec> {
  const g = new Map<string, GlobalSpec>([
    ['collections.OrderedDict', { call: orderedDict }],
    ['builtins.set', makeSet(false)],
    ['builtins.frozenset', makeSet(true)],
    ['builtins.bytearray', { call: (args) => (args[0] instanceof Uint8Array ? args[0].slice() : new Uint8Array(0)) }],
    ['torch._utils._rebuild_tensor_v2', { call: rebuildTensor }],
    ['torch._utils._rebuild_parameter', { call: rebuildParameter }],
    ['torch._utils._rebuild_parameter_with_state', { call: rebuildParameter }],
    ['torch._tensor._rebuild_from_type_v2', { call: rebuildFromType }],
    ['torch.Size', { call: (args) => tuple(ints(args[0] ?? tuple([]), 'torch.Size')) }],
    ['torch.device', {
      call: (args) => {
        const [type, index] = args;
        if (typeof type !== 'string') throw new Error(`expected a device name, got ${describe(type)}`);
        return index === undefined || index === null ? type : `${type}:${asInt(index, 'device index')}`;
      },
    }],
    ['torch.Tensor', {}],
    ['torch.nn.parameter.Parameter', {}],
    ...NUMPY_GLOBALS,
  ]);
  for (const name of STORAGE_TYPES.keys()) g.set(`torch.${name}`, {});
  for (const name of TORCH_DTYPES) g.set(`torch.${name}`, {});
  return g;
}

/** The allowlist itself, keyed `module.name`. */
export const TORCH_GLOBALS: ReadonlyMap<string, GlobalSpec> = buildGlobals();

/**
 * Unpickle options for one torch archive: the allowlist plus a persistent_load
 * that turns `('storage', StorageType, key, location, numel)` into one shared
 * StorageRef per key. `storages` lists them after unpickling.
 */
export function torchUnpickleOptions(): UnpickleOptions & { readonly storages: ReadonlyMap<string, StorageRef> } {
  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    if (!isTuple(pid) || pid.length !== 5 || pid[0] !== 'storage') throw new Error(`unsupported persistent id ${describe(pid)}`);
    const [, type, key, location, numelV] = pid;
    const dtype = type instanceof PyGlobal && type.module === 'torch' ? STORAGE_TYPES.get(type.name) : undefined;
    if (!dtype) throw new Error(`unsupported storage type ${describe(type)}`);
    if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) throw new Error(`bad storage key ${describe(key)}`);
    const numel = asInt(numelV, 'storage numel');
    if (numel < 0) throw new Error(`storage ${key} has a negative element count (${numel})`);
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== dtype || known.numel !== numel) {
        throw new Error(`storage ${key} is used as both ${known.dtype}[${known.numel}] and ${dtype}[${numel}]`);
      }
      return known;
    }
    const ref = new StorageRef(key, dtype, numel, typeof location === 'string' ? location : 'cpu');
    storages.set(key, ref);
    return ref;
  };
  return { globals: withCopyBudget(TORCH_GLOBALS, MAX_COPIED_ITEMS), persistentLoad, storages };
}

/**
 * Element copies that the container constructors (OrderedDict, set, frozenset, bytearray) may make in
 * one unpickle. Without a budget, a small pickle could call them again and again on one memoised
 * container and allocate far more than its own size. State dicts stay far below this.
 */
export const MAX_COPIED_ITEMS = 50_000_000;

const COPYING = ['collections.OrderedDict', 'builtins.set', 'builtins.frozenset', 'builtins.bytearray'];

function withCopyBudget(globals: ReadonlyMap<string, GlobalSpec>, budget: number): Map<string, GlobalSpec> {
  let used = 0;
  const out = new Map(globals);
  for (const name of COPYING) {
    const spec = globals.get(name);
    const call = spec?.call;
    if (!spec || !call) continue;
    out.set(name, {
      ...spec,
      call: (args) => {
        const a = args[0];
        used += a instanceof Uint8Array ? a.length : a === undefined ? 0 : items(a, name).length;
        if (used > budget) throw new Error(`container copies exceed ${budget} items (${name}); refusing a pickle built to amplify memory`);
        return call(args);
      },
    });
  }
  return out;
}
