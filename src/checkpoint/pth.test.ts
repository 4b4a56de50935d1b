import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bf16ToFloat, halfToFloat } from '../core/host.js';
import { CheckpointError } from './errors.js';
import { loadPth, readPth, readPthTree } from './pth.js';
import { PyDict } from './pickle-values.js';
import { PickleWriter, TDict, TTensor, TTuple, torchSave } from './testing/pickle-builder.js';
import { bytesOf, scratch } from './testing/tmp.js';
import { buildZip } from './testing/zip-builder.js';
import { TensorRef } from './torch-refs.js';

const tmp = await scratch();
const f32 = (xs: number[]): Uint8Array => bytesOf(new Float32Array(xs));
const range = (n: number, f = (i: number) => i): number[] => Array.from({ length: n }, (_, i) => f(i));
const FLOAT6 = { key: '0', type: 'FloatStorage', numel: 6 };

test('a flat dict of float32 tensors loads with shapes and values; sole users adopt the storage', async () => {
  const tree = new TDict([
    ['w', new TTensor(FLOAT6, [2, 3])],
    ['b', new TTensor({ key: '1', type: 'FloatStorage', numel: 2 }, [2])],
    ['s', new TTensor({ key: '2', type: 'FloatStorage', numel: 1 }, [])],
  ]);
  const path = await tmp.file('flat.pth', torchSave(tree, { 0: f32([1, 2, 3, 4, 5, 6]), 1: f32([-1, 0.5]), 2: f32([7]) }));
  const { tensors, meta } = await loadPth(path);
  assert.deepEqual([...tensors.keys()], ['w', 'b', 's']);
  assert.deepEqual(meta, {});
  const w = tensors.get('w')!;
  assert.equal(w.dtype, 'float32');
  assert.deepEqual(w.shape, [2, 3]);
  assert.ok(w.data instanceof Float32Array);
  assert.deepEqual([...w.data], [1, 2, 3, 4, 5, 6]);
  assert.equal(w.data.byteOffset, 0);
  assert.equal(w.data.buffer.byteLength, 24);
  assert.deepEqual([...tensors.get('b')!.data], [-1, 0.5]);
  assert.deepEqual(tensors.get('s')!.shape, []);
  assert.deepEqual([...tensors.get('s')!.data], [7]);
  assert.deepEqual([...(await readPth(path)).keys()], ['w', 'b', 's']);
});

test('nested dicts give dotted keys; non-tensor leaves become JSON metadata', async () => {
  const tree = new TDict([
    ['model', new TDict([['encoder.patch.weight', new TTensor(FLOAT6, [6])], ['head', new TDict([['bias', new TTensor(FLOAT6, [2], [1], 4)]])]], true)],
    ['epoch', 3], ['lr', 0.25], ['name', 'simmim'], ['args', new TDict([['sizes', [224, 224]], ['pair', new TTuple([1, null])], ['ok', true], ['__proto__', 1]])],
    ['optimizer', new TDict([['state', new TDict([[0, new TDict([['step', 5], ['exp_avg', new TTensor(FLOAT6, [3], [2], 0)]])]])], ['param_groups', [new TDict([['lr', 0.5]])]]])],
  ]);
  const path = await tmp.file('nested.pth', torchSave(tree, { 0: f32(range(6, (i) => i * 10)) }));
  const { tensors, meta } = await loadPth(path);
  assert.deepEqual([...tensors.keys()], ['model.encoder.patch.weight', 'model.head.bias', 'optimizer.state.0.exp_avg']);
  assert.deepEqual([...tensors.get('model.head.bias')!.data], [40, 50]);
  assert.equal(Object.getPrototypeOf(meta['args']), Object.prototype, 'a "__proto__" key is plain data');
  assert.deepEqual([...tensors.get('optimizer.state.0.exp_avg')!.data], [0, 20, 40]);
  assert.deepEqual(meta, {
    epoch: 3, lr: 0.25, name: 'simmim', args: JSON.parse('{"sizes": [224, 224], "pair": [1, null], "ok": true, "__proto__": 1}') as unknown,
    'optimizer.state.0.step': 5, 'optimizer.param_groups': [{ lr: 0.5 }],
  });
});

test('float16 and bfloat16 storages keep their bits', async () => {
  const half = new Uint16Array([0x3e00, 0xb555, 0x7bff, 0x0001]); // 1.5, -0.333, 65504, 2^-24
  const bf = new Uint16Array([0x3f80, 0xc049, 0x7149, 0x0001]);
  const tree = new TDict([
    ['h', new TTensor({ key: '0', type: 'HalfStorage', numel: 4 }, [4])],
    ['b', new TTensor({ key: '1', type: 'BFloat16Storage', numel: 4 }, [2, 2])],
  ]);
  const t = await readPth(await tmp.file('half.pth', torchSave(tree, { 0: bytesOf(half), 1: bytesOf(bf) })));
  const h = t.get('h')!;
  const b = t.get('b')!;
  assert.equal(h.dtype, 'float16');
  assert.equal(b.dtype, 'bfloat16');
  assert.deepEqual([...h.data], [...half]);
  assert.deepEqual([...b.data], [...bf]);
  assert.deepEqual([...h.data as Uint16Array].map(halfToFloat), [1.5, -0.333251953125, 65504, 2 ** -24]);
  assert.deepEqual([...b.data as Uint16Array].slice(0, 2).map(bf16ToFloat), [1, -3.140625]);
});

test('shared storages, offsets, non-contiguous, transposed and broadcast views materialise as independent copies', async () => {
  const base = { key: 'base', type: 'FloatStorage', numel: 24 };
  const tr = { key: 'tr', type: 'FloatStorage', numel: 12 };
  const bc = { key: 'bc', type: 'FloatStorage', numel: 3 };
  const tree = new TDict([
    ['base', new TTensor(base, [4, 6])],
    ['view', new TTensor(base, [2, 3], [6, 1], 8)], // base[1:3, 2:5]
    ['row', new TTensor(base, [6], [1], 12)], // base[2]
    ['col', new TTensor(base, [4, 1], [6, 6], 5)], // base[:, 5:6]
    ['transposed', new TTensor(tr, [4, 3], [1, 4])],
    ['broadcast', new TTensor(bc, [2, 3], [0, 1])],
    ['empty', new TTensor(base, [0, 3], [3, 1], 24)],
  ], true);
  const path = await tmp.file('views.pth', torchSave(tree, { base: f32(range(24)), tr: f32(range(12)), bc: f32([1, -2, 3.5]) }));
  const t = await readPth(path);
  const vals = (k: string): number[] => [...t.get(k)!.data as Float32Array];
  assert.deepEqual(vals('base'), range(24));
  assert.deepEqual(vals('view'), [8, 9, 10, 14, 15, 16]);
  assert.deepEqual(vals('row'), [12, 13, 14, 15, 16, 17]);
  assert.deepEqual(vals('col'), [5, 11, 17, 23]);
  assert.deepEqual(vals('transposed'), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  assert.deepEqual(t.get('transposed')!.shape, [4, 3]);
  assert.deepEqual(vals('broadcast'), [1, -2, 3.5, 1, -2, 3.5]);
  assert.deepEqual(t.get('empty')!.shape, [0, 3]);
  assert.equal(t.get('empty')!.data.length, 0);
  (t.get('base')!.data as Float32Array)[12] = 99;
  assert.equal(vals('row')[0], 12, 'views must not alias the shared storage');
  const tree0 = await readPthTree(path);
  assert.deepEqual([...tree0.storages.keys()].sort(), ['base', 'bc', 'tr']);
  assert.ok(tree0.tree instanceof PyDict && tree0.tree.get('view') instanceof TensorRef);
  assert.equal(tree0.byteorder, 'little');
  assert.equal(tree0.prefix, 'archive/');
});

test('big-endian archives are byte-swapped', async () => {
  const be = (size: number, write: (v: DataView, i: number) => void, n: number): Uint8Array => {
    const b = new Uint8Array(size * n);
    const v = new DataView(b.buffer);
    for (let i = 0; i < n; i++) write(v, i);
    return b;
  };
  const floats = [1.5, -2.25, 1e-7];
  const longs = [1n, -(2n ** 40n), 2n ** 62n];
  const tree = new TDict([
    ['f', new TTensor({ key: '0', type: 'FloatStorage', numel: 3 }, [3])],
    ['l', new TTensor({ key: '1', type: 'LongStorage', numel: 3 }, [3], [1], 0)],
    ['h', new TTensor({ key: '2', type: 'HalfStorage', numel: 1 }, [1])],
    ['d', new TTensor({ key: '3', type: 'DoubleStorage', numel: 1 }, [])],
    ['u', new TTensor({ key: '4', type: 'ByteStorage', numel: 2 }, [2])],
  ]);
  const storages = {
    0: be(4, (v, i) => v.setFloat32(i * 4, floats[i]!, false), 3),
    1: be(8, (v, i) => v.setBigInt64(i * 8, longs[i]!, false), 3),
    2: be(2, (v) => v.setUint16(0, 0x3e00, false), 1),
    3: be(8, (v) => v.setFloat64(0, Math.PI, false), 1),
    4: new Uint8Array([7, 200]),
  };
  const t = await readPth(await tmp.file('be.pth', torchSave(tree, storages, { byteorder: 'big' })));
  assert.deepEqual([...t.get('f')!.data], [...new Float32Array(floats)]);
  assert.deepEqual([...t.get('l')!.data], longs);
  assert.deepEqual([...t.get('h')!.data], [0x3e00]);
  assert.deepEqual([...t.get('d')!.data], [Math.PI]);
  assert.deepEqual([...t.get('u')!.data], [7, 200]);
  const little = await readPth(await tmp.file('le.pth', torchSave(tree, { ...storages, 0: f32(floats) }, { byteorder: 'little' })));
  assert.deepEqual([...little.get('f')!.data], [...new Float32Array(floats)]);
});

test('integer, bool and float64 storages map to engine dtypes (int16 widens to int32)', async () => {
  const specs: Array<[string, string, ArrayBufferView, string, unknown[]]> = [
    ['d', 'DoubleStorage', new Float64Array([1 / 3, -1e300]), 'float64', [1 / 3, -1e300]],
    ['l', 'LongStorage', new BigInt64Array([-3n, 2n ** 40n]), 'int64', [-3n, 2n ** 40n]],
    ['i', 'IntStorage', new Int32Array([-7, 2 ** 31 - 1]), 'int32', [-7, 2 ** 31 - 1]],
    ['s', 'ShortStorage', new Int16Array([-300, 5]), 'int32', [-300, 5]],
    ['c', 'CharStorage', new Int8Array([-128, 127]), 'int8', [-128, 127]],
    ['u', 'ByteStorage', new Uint8Array([0, 255]), 'uint8', [0, 255]],
    ['b', 'BoolStorage', new Uint8Array([1, 0]), 'bool', [1, 0]],
  ];
  const tree = new TDict(specs.map(([k, type]) => [k, new TTensor({ key: k, type, numel: 2 }, [2])]));
  const storages = Object.fromEntries(specs.map(([k, , data]) => [k, bytesOf(data)]));
  const t = await readPth(await tmp.file('dtypes.pth', torchSave(tree, storages)));
  for (const [k, , , dtype, values] of specs) {
    assert.equal(t.get(k)!.dtype, dtype, k);
    assert.deepEqual([...t.get(k)!.data], values, k);
  }
});

test('parameters (_rebuild_parameter), ZIP64 and deflated archives', async () => {
  const tree = new TDict([['p', new TTensor(FLOAT6, [3, 2], [2, 1], 0, true)], ['step', 10]], true);
  for (const [i, opts] of [{ zip64: true }, { deflate: true }, { zip64: true, deflate: true, name: 'my_ckpt' }].entries()) {
    const { tensors, meta } = await loadPth(await tmp.file(`param-${i}.pth`, torchSave(tree, { 0: f32(range(6)) }, opts)));
    assert.deepEqual([...tensors.get('p')!.data], range(6));
    assert.deepEqual(tensors.get('p')!.shape, [3, 2]);
    assert.deepEqual(meta, { step: 10 });
  }
});

// Emitted by CPython's own pickler (protocols 2 and 4) for {'state_dict': OrderedDict(w, wt, n), 'epoch': 7,
// 'acc': 0.25, 'name': 'héllo', 'flags': (True, None)} with stand-in torch classes, as torch.save would.
const CPYTHON = {
  2: '80027d710028580a00000073746174655f64696374710163636f6c6c656374696f6e730a4f726465726564446963740a71022952710328580100000077710463746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71052828580700000073746f72616765710663746f7263680a466c6f617453746f726167650a71075801000000307108580300000063707571094b0674710a514b004b024b0386710b4b034b0186710c8968022952710d74710e52710f5802000000777471106805282868066807680868094b06747111514b014b024b028671124b014b038671138968022952711474711552711658010000006e711768052828680663746f7263680a4c6f6e6753746f726167650a7118580100000031711968094b0174711a514b0029298968022952711b74711c52711d75580500000065706f6368711e4b075803000000616363711f473fd000000000000058040000006e616d657120580600000068c3a96c6c6f71215805000000666c6167737122884e867123752e',
  4: '80049543010000000000007d94288c0a73746174655f64696374948c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294288c0177948c0c746f7263682e5f7574696c73948c125f72656275696c645f74656e736f725f763294939428288c0773746f72616765948c05746f726368948c0c466c6f617453746f726167659493948c0130948c03637075944b067494514b004b024b0386944b034b018694896804295294749452948c0277749468092828680a680d680e680f4b067494514b014b024b0286944b014b038694896804295294749452948c016e9468092828680a680b8c0b4c6f6e6753746f726167659493948c013194680f4b017494514b00292989680429529474945294758c0565706f6368944b078c0361636394473fd00000000000008c046e616d65948c0668c3a96c6c6f948c05666c61677394884e8694752e',
};

test('pickles written by CPython (protocols 2 and 4) load', async () => {
  for (const [proto, hex] of Object.entries(CPYTHON)) {
    const zip = buildZip([
      { name: 'ck/data.pkl', data: Buffer.from(hex, 'hex') },
      { name: 'ck/data/0', data: f32([0, 1, 2, 3, 4, 5]) },
      { name: 'ck/data/1', data: bytesOf(new BigInt64Array([-9n])) },
    ]);
    const { tensors, meta } = await loadPth(await tmp.file(`cpython-${proto}.pth`, zip));
    assert.deepEqual([...tensors.keys()], ['state_dict.w', 'state_dict.wt', 'state_dict.n']);
    assert.deepEqual([...tensors.get('state_dict.w')!.data], [0, 1, 2, 3, 4, 5]);
    assert.deepEqual([...tensors.get('state_dict.wt')!.data], [1, 4, 2, 5]);
    assert.deepEqual([...tensors.get('state_dict.n')!.data], [-9n]);
    assert.deepEqual(meta, { epoch: 7, acc: 0.25, name: 'héllo', flags: [true, null] });
  }
});

test('a malicious data.pkl is refused by name and never runs', async () => {
  const sentinel = join(tmp.dir, 'pwned');
  const pkl = new PickleWriter().proto(2).emptyDict().str('model').text('cos\nsystem\n').str(`touch ${sentinel}`).raw(0x85).reduce().raw(0x73).stop();
  const path = await tmp.file('malicious.pth', buildZip([{ name: 'malicious/data.pkl', data: pkl.bytes() }, { name: 'malicious/version', data: new TextEncoder().encode('3\n') }]));
  await assert.rejects(readPth(path), (e: unknown) => {
    assert.ok(e instanceof CheckpointError);
    assert.equal(e.code, 'refused');
    assert.equal(e.message, `${path}: refused global os.system at offset 13`);
    return true;
  });
  await assert.rejects(readPthTree(path), /refused global os\.system/);
  assert.equal(existsSync(sentinel), false);
});

test('not-a-zip, legacy, truncated and incomplete archives give one-line errors naming the file', async () => {
  const notZip = await tmp.file('foo.pth', 'this is a text file');
  await assert.rejects(readPth(notZip), { message: `${notZip}: not a PyTorch checkpoint (no zip signature)` });

  const legacyBytes = new PickleWriter().proto(2).raw(0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).raw(0x2e).bytes();
  const legacy = await tmp.file('legacy.pth', legacyBytes);
  await assert.rejects(readPth(legacy), { message: `${legacy}: legacy torch serialization is not supported; re-save with torch>=1.6` });

  const good = torchSave(new TDict([['w', new TTensor(FLOAT6, [6])]]), { 0: f32(range(6)) });
  const cut = await tmp.file('cut.pth', good.subarray(0, good.length - 40));
  await assert.rejects(readPth(cut), (e: unknown) => e instanceof CheckpointError && e.code === 'truncated' && e.message.startsWith(`${cut}: truncated (`) && !e.message.includes('\n'));

  const noPkl = await tmp.file('nopkl.pth', buildZip([{ name: 'x/version', data: new Uint8Array([51]) }]));
  await assert.rejects(readPth(noPkl), { message: `${noPkl}: not a PyTorch checkpoint (zip has no data.pkl)` });

  const missing = await tmp.file('missing.pth', torchSave(new TDict([['w', new TTensor(FLOAT6, [6])]]), {}));
  await assert.rejects(readPth(missing), { message: `${missing}: missing storage entry archive/data/0` });

  const short = await tmp.file('short.pth', torchSave(new TDict([['w', new TTensor(FLOAT6, [6])]]), { 0: f32([1, 2]) }));
  await assert.rejects(readPth(short), { message: `${short}: storage entry archive/data/0 has 8 bytes, expected 24 (float32[6])` });

  const past = await tmp.file('past.pth', torchSave(new TDict([['w', new TTensor(FLOAT6, [2, 3], [3, 1], 1)]]), { 0: f32(range(6)) }));
  await assert.rejects(readPth(past), /past\.pth: .*reaches past storage 0 of 6 elements/);

  const badOrder = await tmp.file('order.pth', torchSave(new TDict([]), {}, { byteorder: 'middle' as 'big' }));
  await assert.rejects(readPth(badOrder), { message: `${badOrder}: unknown byteorder "middle"` });
});

test('an unsupported opcode inside data.pkl names the entry, opcode and offset', async () => {
  const pkl = new PickleWriter().proto(2).raw(0x69).bytes();
  const path = await tmp.file('inst.pth', buildZip([{ name: 'a/data.pkl', data: pkl }]));
  await assert.rejects(readPth(path), { message: `${path}: a/data.pkl: unsupported pickle opcode INST (0x69) at offset 2` });
});
