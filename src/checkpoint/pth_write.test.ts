import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { DType } from '../core/dtype.js';
import type { HostTensor } from '../core/host.js';
import { CheckpointError } from './errors.js';
import { readCheckpoint } from './open.js';
import { OP } from './pickle-opcodes.js';
import { unpickle } from './pickle.js';
import { PyDict } from './pickle-values.js';
import type { GlobalSpec } from './pickle-values.js';
import { loadPth, readPth, readPthTree } from './pth.js';
import { encodePth, writePth } from './pth_write.js';
import { bytesOf, scratch } from './testing/tmp.js';
import { TORCH_GLOBALS, torchUnpickleOptions } from './torch-allowlist.js';
import { TensorRef } from './torch-refs.js';
import { ZipArchive } from './zip.js';

const tmp = await scratch();
const FIXTURES = fileURLToPath(new URL('../../fixtures/torch/', import.meta.url));
const t = <D extends DType>(dtype: D, shape: number[], data: HostTensor<D>['data']): HostTensor => ({ dtype, shape, data });
const u32bits = (bits: number[]): Float32Array => new Float32Array(new Uint32Array(bits).buffer);
const u64bits = (bits: bigint[]): Float64Array => new Float64Array(new BigUint64Array(bits).buffer);

/** Every dtype, with edge values (NaN payloads, -0, subnormals, extremes), 0-d and empty shapes. */
function everyDtype(): Map<string, HostTensor> {
  return new Map<string, HostTensor>([
    ['f32', t('float32', [2, 4], u32bits([0x7fc00001, 0xffa00000, 0x80000000, 0x00000001, 0x007fffff, 0x7f800000, 0xff800000, 0x3f800000]))],
    ['f32.scalar', t('float32', [], new Float32Array([-2.5]))],
    ['f32.empty', t('float32', [0], new Float32Array(0))],
    ['f32.empty3d', t('float32', [2, 0, 3], new Float32Array(0))],
    ['f16', t('float16', [3, 2], new Uint16Array([0x7e01, 0xfd55, 0x8000, 0x0001, 0x03ff, 0xfc00]))],
    ['f16.scalar', t('float16', [], new Uint16Array([0x8001]))],
    ['bf16', t('bfloat16', [1, 6], new Uint16Array([0x7fc1, 0xff81, 0x8000, 0x0001, 0x007f, 0x3f80]))],
    ['bf16.empty', t('bfloat16', [3, 0], new Uint16Array(0))],
    ['f64', t('float64', [5], u64bits([0x7ff8000000000123n, 0xfff0000000000001n, 0x8000000000000000n, 1n, 0x3fd5555555555555n]))],
    ['i64', t('int64', [2, 2], new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, -1n, 2n ** 40n]))],
    ['i64.scalar', t('int64', [], new BigInt64Array([7n]))],
    ['i32', t('int32', [4], new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, -7]))],
    ['u8', t('uint8', [2, 2, 2], new Uint8Array([0, 1, 127, 128, 200, 254, 255, 3]))],
    ['i8', t('int8', [3], new Int8Array([-128, 127, -1]))],
    ['bool', t('bool', [5], new Uint8Array([1, 0, 1, 1, 0]))],
    ['bool.scalar', t('bool', [], new Uint8Array([1]))],
    ['big', t('float32', [300, 257], new Float32Array(300 * 257).map((_, i) => Math.sin(i)))],
  ]);
}

function assertSameTensors(got: ReadonlyMap<string, HostTensor>, want: ReadonlyMap<string, HostTensor>, prefix = ''): void {
  assert.deepEqual([...got.keys()], [...want.keys()].map((k) => prefix + k));
  for (const [k, w] of want) {
    const g = got.get(prefix + k)!;
    assert.equal(g.dtype, w.dtype, k);
    assert.deepEqual(g.shape, w.shape, k);
    assert.equal(g.data.constructor, w.data.constructor, k);
    assert.deepEqual(bytesOf(g.data), bytesOf(w.data), `${k}: bytes differ`);
  }
}

test('every dtype round-trips bit-exactly as a flat OrderedDict (0-d, empty, NaN payloads, -0, subnormals)', async () => {
  const want = everyDtype();
  const path = join(tmp.dir, 'flat.pth');
  await writePth(path, want);
  assertSameTensors(await readPth(path), want);
  const { tree, storages, prefix, byteorder } = await readPthTree(path);
  assert.equal(prefix, 'flat/');
  assert.equal(byteorder, 'little');
  assert.ok(tree instanceof PyDict && tree.pyType === 'collections.OrderedDict');
  assert.equal(storages.size, want.size, 'one storage per tensor');
  for (const [k, ref] of tree) {
    assert.ok(ref instanceof TensorRef, String(k));
    assert.equal(ref.offset, 0);
    assert.ok(ref.isContiguous);
    assert.equal(ref.requiresGrad, false);
    assert.equal(ref.storage.numel, ref.numel);
    assert.equal(ref.storage.location, 'cpu');
  }
  assert.deepEqual((tree.get('f32.empty3d') as TensorRef).stride, [3, 3, 1], "torch's strides for a 0-sized dimension");
  assert.deepEqual((tree.get('big') as TensorRef).stride, [257, 1]);
});

test('a pickle larger than its first buffer (many long keys, as a real model) round-trips', async () => {
  const want = new Map<string, HostTensor>();
  for (let i = 0; i < 400; i++) want.set(`blocks.${i}.attn.relative_position_bias_table.with_a_long_name`, { dtype: 'float32', shape: [2], data: Float32Array.of(i, -i) });
  const path = join(tmp.dir, 'many.pth');
  await writePth(path, want);
  assertSameTensors(await readPth(path), want);
});

test('wrap and extra give {wrap: OrderedDict, ...extra}; integers, floats, strings and booleans keep their types', async () => {
  const want = everyDtype();
  const path = join(tmp.dir, 'wrapped.pth');
  const extra = { epoch: 3, step: 70000, neg: -5, below: -70000, huge: 2 ** 40, lr: 0.25, tiny: 1e-300, name: 'simmim ✓', done: true };
  await writePth(path, want, { wrap: 'model', extra });
  const { tensors, meta } = await loadPth(path);
  assertSameTensors(tensors, want, 'model.');
  assert.deepEqual(meta, extra);
  const { tree } = await readPthTree(path);
  assert.ok(tree instanceof PyDict && tree.pyType === 'dict');
  assert.deepEqual([...tree.keys()], ['model', ...Object.keys(extra)]);
  assert.equal((tree.get('model') as PyDict).pyType, 'collections.OrderedDict');
  const any = await readCheckpoint(path);
  assert.equal(any.format, 'pth');
  assert.equal(any.metadata['epoch'], '3');
  assert.equal(any.metadata['name'], '"simmim ✓"');
});

test('an empty state dict, bare and wrapped, is a valid checkpoint', async () => {
  const bare = join(tmp.dir, 'empty.pth');
  await writePth(bare, new Map());
  const { tree } = await readPthTree(bare);
  assert.ok(tree instanceof PyDict && tree.size === 0 && tree.pyType === 'collections.OrderedDict');
  const wrapped = join(tmp.dir, 'empty-wrapped.pth');
  await writePth(wrapped, [], { wrap: 'model', extra: { epoch: 0 } });
  assert.deepEqual(await loadPth(wrapped), { tensors: new Map(), meta: { model: {}, epoch: 0 } }, 'an empty dict is a metadata leaf to the reader');
});

/** The opcodes of a pickle, with GLOBAL names; throws on any opcode outside torch 1.13's weights-only set (plus BINFLOAT). */
function opcodes(p: Uint8Array): string[] {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const arg: Readonly<Record<number, (at: number) => number>> = {
    [OP.PROTO]: () => 1, [OP.BINPUT]: () => 1, [OP.BINGET]: () => 1, [OP.BININT1]: () => 1, [OP.BININT2]: () => 2,
    [OP.BININT]: () => 4, [OP.LONG_BINPUT]: () => 4, [OP.LONG_BINGET]: () => 4, [OP.BINFLOAT]: () => 8,
    [OP.BINUNICODE]: (at) => 4 + view.getUint32(at, true), [OP.LONG1]: (at) => 1 + p[at]!,
    [OP.GLOBAL]: (at) => p.indexOf(0x0a, p.indexOf(0x0a, at) + 1) + 1 - at,
  };
  const bare = new Set<number>([OP.EMPTY_DICT, OP.MARK, OP.EMPTY_TUPLE, OP.REDUCE, OP.TUPLE, OP.TUPLE1, OP.TUPLE2, OP.TUPLE3,
    OP.NEWFALSE, OP.NEWTRUE, OP.BINPERSID, OP.SETITEMS, OP.STOP]);
  const out: string[] = [];
  for (let at = 0; at < p.length;) {
    const op = p[at++]!;
    const len = arg[op]?.(at) ?? (bare.has(op) ? 0 : assert.fail(`opcode 0x${op.toString(16)} at ${at - 1}`));
    out.push(op === OP.GLOBAL ? new TextDecoder().decode(p.subarray(at, at + len - 1)).replace('\n', '.') : `0x${op.toString(16)}`);
    at += len;
  }
  return out;
}

test('data.pkl uses only allowlisted globals and the opcodes torch.load(weights_only=True) knows', async () => {
  const path = join(tmp.dir, 'globals.pth');
  await writePth(path, everyDtype(), { wrap: 'model', extra: { epoch: 1 } });
  const archive = await ZipArchive.open(path);
  const pkl = await archive.read(archive.get('globals/data.pkl')!);
  await archive.close();
  const used = new Set<string>();
  class Recording extends Map<string, GlobalSpec> {
    override get(name: string): GlobalSpec | undefined {
      used.add(name);
      return super.get(name);
    }
  }
  const options = torchUnpickleOptions();
  unpickle(pkl, { ...options, globals: new Recording(options.globals) });
  assert.ok([...used].every((name) => TORCH_GLOBALS.has(name)));
  assert.deepEqual([...used].sort(), [
    'collections.OrderedDict', 'torch.BFloat16Storage', 'torch.BoolStorage', 'torch.ByteStorage', 'torch.CharStorage', 'torch.DoubleStorage',
    'torch.FloatStorage', 'torch.HalfStorage', 'torch.IntStorage', 'torch.LongStorage', 'torch._utils._rebuild_tensor_v2',
  ]);
  const ops = opcodes(pkl);
  assert.equal(ops[0], `0x${OP.PROTO.toString(16)}`);
  assert.equal(pkl[1], 2, 'protocol 2');
  assert.deepEqual(ops.filter((o) => o.includes('.')).sort(), [...used].sort(), 'each global appears once (then memoised)');
});

test('zip layout: stored entries in torch order, every record 64-byte aligned, no ZIP64 for small files', async () => {
  const path = join(tmp.dir, 'layout.pth');
  await writePth(path, everyDtype(), { archiveName: 'my_archive' });
  const archive = await ZipArchive.open(path);
  try {
    const n = everyDtype().size;
    assert.deepEqual(archive.entries.map((e) => e.name), [
      'my_archive/data.pkl', 'my_archive/byteorder', ...Array.from({ length: n }, (_, i) => `my_archive/data/${i}`), 'my_archive/version',
    ]);
    for (const e of archive.entries) {
      assert.equal(e.method, 0, e.name);
      assert.equal((await archive.dataOffset(e)) % 64, 0, `${e.name} is aligned`);
    }
    assert.equal(new TextDecoder().decode(await archive.read(archive.get('my_archive/version')!)), '3\n');
    assert.equal(new TextDecoder().decode(await archive.read(archive.get('my_archive/byteorder')!)), 'little');
  } finally {
    await archive.close();
  }
  const bytes = await readFile(path);
  assert.equal(bytes.readUInt32LE(bytes.length - 22), 0x06054b50, 'plain end record');
  assert.notEqual(bytes.readUInt32LE(bytes.length - 42), 0x07064b50, 'no ZIP64 locator');
});

test('ZIP64 records (forced by low thresholds) are read back, with alignment kept', async () => {
  const want = everyDtype();
  const chunks = [...encodePth(want, { archiveName: 'z' }, { bytes: 200, entries: 5 })];
  const path = await tmp.file('zip64.pth', Buffer.concat(chunks));
  assertSameTensors(await readPth(path), want);
  const bytes = await readFile(path);
  assert.equal(bytes.readUInt32LE(bytes.length - 42), 0x07064b50, 'ZIP64 locator');
  assert.equal(bytes.readUInt16LE(bytes.length - 22 + 10), 0xffff, 'saturated entry count');
  const archive = await ZipArchive.open(path);
  try {
    const big = archive.get('z/data/16')!;
    assert.equal(big.size, 300 * 257 * 4);
    assert.ok(big.localHeaderOffset > 200);
    for (const e of archive.entries) assert.equal((await archive.dataOffset(e)) % 64, 0, `${e.name} is aligned`);
  } finally {
    await archive.close();
  }
});

test('tensor bytes are streamed from the tensors\' own buffers, never copied; subarray views work', async () => {
  const backing = new Float32Array(1 << 20).map((_, i) => i);
  const view = backing.subarray(5, 5 + 6);
  const tensors = new Map<string, HostTensor>([['whole', t('float32', [1024, 1024], backing)], ['view', t('float32', [2, 3], view)]]);
  const chunks = [...encodePth(tensors)];
  const whole = chunks.find((c) => c.buffer === backing.buffer && c.byteLength === backing.byteLength);
  assert.ok(whole && whole.byteOffset === 0, 'the whole tensor is one chunk over its own buffer');
  assert.ok(chunks.some((c) => c.buffer === backing.buffer && c.byteOffset === 20 && c.byteLength === 24), 'a view is written in place');
  const path = join(tmp.dir, 'stream.pth');
  await writePth(path, tensors);
  assertSameTensors(await readPth(path), tensors);
});

test('committed torch fixtures survive a read → write → read round trip unchanged', async () => {
  for (const name of ['small_shared.pth', 'small_bf16.pth', 'views.pth']) {
    const original = await loadPth(join(FIXTURES, name));
    const out = join(tmp.dir, `again_${name}`);
    const wrapped = name === 'small_shared.pth';
    const tensors = wrapped ? [...original.tensors].map(([k, v]) => [k.replace(/^model\./, ''), v] as const) : original.tensors;
    await writePth(out, tensors, wrapped ? { wrap: 'model', extra: { epoch: 3 } } : {});
    const again = await loadPth(out);
    assertSameTensors(again.tensors, original.tensors);
    assert.deepEqual(again.meta, original.meta, name);
  }
});

const oneLine = (path: string, pattern: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof Error);
  assert.ok(!e.message.includes('\n'), 'one line');
  assert.ok(e.message.startsWith(`${path}: `), e.message);
  assert.match(e.message, pattern);
  return true;
};

test('unwritable targets give a one-line error and leave nothing behind', async () => {
  const dir = join(tmp.dir, 'unwritable');
  await mkdir(join(dir, 'taken.pth'), { recursive: true });
  const tensors = everyDtype();
  const missing = join(dir, 'no', 'such', 'dir', 'x.pth');
  await assert.rejects(writePth(missing, tensors), oneLine(missing, /cannot write \(directory .* does not exist\)/));
  const taken = join(dir, 'taken.pth');
  await assert.rejects(writePth(taken, tensors), oneLine(taken, /cannot write/));
  assert.deepEqual(await readdir(dir), ['taken.pth']);
  assert.deepEqual(await readdir(taken), []);
});

test('invalid input is refused before anything is written; an existing file is left untouched', async () => {
  const dir = join(tmp.dir, 'invalid');
  await mkdir(dir);
  const path = join(dir, 'keep.pth');
  await writeFile(path, 'previous contents');
  const f = (n: number): Float32Array => new Float32Array(n);
  const cases: Array<[string, Iterable<readonly [string, HostTensor]>, Parameters<typeof writePth>[2], RegExp]> = [
    ['length', [['w', t('float32', [2, 3], f(5))]], {}, /tensor "w": float32\[2, 3\] needs 6 elements, got 5/],
    ['array type', [['w', t('float32', [2], new Float64Array(2) as unknown as Float32Array)]], {}, /float32 data must not be a Float64Array/],
    ['shape', [['w', t('float32', [-1], f(0))]], {}, /bad shape/],
    ['dtype', [['w', { dtype: 'complex64', shape: [1], data: f(1) } as unknown as HostTensor]], {}, /unsupported dtype complex64/],
    ['bool', [['m', t('bool', [2], new Uint8Array([1, 2]))]], {}, /bool values must be 0 or 1/],
    ['duplicate', [['w', t('float32', [1], f(1))], ['w', t('float32', [1], f(1))]], {}, /duplicate tensor name "w"/],
    ['extra without wrap', [], { extra: { epoch: 1 } }, /need a wrapped state dict/],
    ['collision', [], { wrap: 'model', extra: { model: 1 } }, /collides/],
    ['archive name', [], { archiveName: 'a/b' }, /bad archive name/],
  ];
  for (const [label, tensors, opts, pattern] of cases) {
    await assert.rejects(writePth(path, tensors, opts), (e: unknown) => {
      assert.ok(e instanceof CheckpointError, label);
      return oneLine(path, pattern)(e);
    }, label);
  }
  assert.equal(await readFile(path, 'utf8'), 'previous contents');
  assert.deepEqual(await readdir(dir), ['keep.pth']);
});
