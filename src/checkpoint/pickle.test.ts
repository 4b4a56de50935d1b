import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NumpyDType } from './numpy-scalar.js';
import { PickleError, unpickle } from './pickle.js';
import { PyDict, PyGlobal, PySet, isTuple } from './pickle-values.js';
import type { PickleValue } from './pickle-values.js';
import { PickleWriter } from './testing/pickle-builder.js';
import { TORCH_GLOBALS } from './torch-allowlist.js';

const opts = { globals: TORCH_GLOBALS };
const load = (w: PickleWriter | Uint8Array): PickleValue => unpickle(w instanceof PickleWriter ? w.bytes() : w, opts);

test('primitive values, containers and the memo', () => {
  const w = new PickleWriter().proto(2).mark()
    .int(7).int(300).int(-5).int(2 ** 31 - 1).int(2 ** 40).int(-(2 ** 40))
    .raw(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0) // LONG1 2^63
    .float(-0.5).none().bool(true).bool(false).str('héllo');
  w.put();
  w.raw(0x8c, 2, 0x68, 0x69).raw(0x94) // SHORT_BINUNICODE 'hi' + MEMOIZE
    .raw(0x43, 3, 1, 2, 3) // SHORT_BINBYTES
    .raw(0x8d, 1, 0, 0, 0, 0, 0, 0, 0, 0x7a) // BINUNICODE8 'z'
    .get(0).raw(0x6a, 1, 0, 0, 0) // BINGET 0, LONG_BINGET 1
    .emptyList().mark().int(1).int(2).appends()
    .raw(0x8f).mark().int(4).raw(0x90) // EMPTY_SET, ADDITEMS
    .mark().int(5).raw(0x91) // FROZENSET
    .tuple().stop();
  const v = load(w);
  assert.ok(isTuple(v));
  assert.deepEqual(v.slice(0, 15), [7, 300, -5, 2 ** 31 - 1, 2 ** 40, -(2 ** 40), 2n ** 63n, -0.5, null, true, false, 'héllo', 'hi', new Uint8Array([1, 2, 3]), 'z']);
  assert.equal(v[15], 'héllo');
  assert.equal(v[16], 'hi');
  assert.deepEqual(v[17], [1, 2]);
  assert.ok(v[18] instanceof PySet && !v[18].frozen && v[18].items[0] === 4);
  assert.ok(v[19] instanceof PySet && v[19].frozen && v[19].items[0] === 5);
});

test('protocol 4 framing, STACK_GLOBAL and MEMOIZE', () => {
  const w = new PickleWriter().proto(4).raw(0x95, 0, 0, 0, 0, 0, 0, 0, 0)
    .raw(0x8c, 11).text('collections').raw(0x94).raw(0x8c, 11).text('OrderedDict').raw(0x94).raw(0x93, 0x94)
    .emptyTuple().reduce().raw(0x94)
    .raw(0x8c, 1, 0x6b).int(1).raw(0x73) // SETITEM k=1
    .stop();
  const v = load(w);
  assert.ok(v instanceof PyDict);
  assert.equal(v.pyType, 'collections.OrderedDict');
  assert.deepEqual([...v], [['k', 1]]);
});

test('BUILD on an OrderedDict keeps attributes apart from items', () => {
  const w = new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce()
    .mark().str('w').int(1).setitems()
    .emptyDict().mark().str('_metadata').emptyDict().setitems().build().stop();
  const v = load(w);
  assert.ok(v instanceof PyDict);
  assert.deepEqual([...v.keys()], ['w']);
  assert.ok(v.attrs?.get('_metadata') instanceof PyDict);
});

const DANGEROUS: Array<[string, string]> = [
  ['os', 'system'], ['posix', 'system'], ['nt', 'system'], ['builtins', 'eval'], ['builtins', 'exec'],
  ['builtins', 'getattr'], ['subprocess', 'Popen'], ['__builtin__', 'eval'], ['torch', 'load'], ['torch._utils', 'os'],
];

test('dangerous globals are refused by name at the GLOBAL opcode, before any call', () => {
  const sentinel = join(tmpdir(), `usfm-pickle-sentinel-${process.pid}`);
  for (const [module, name] of DANGEROUS) {
    const w = new PickleWriter().proto(2).emptyDict().str('model').global(module, name).str(`touch ${sentinel}`).raw(0x85).reduce().raw(0x73).stop();
    assert.throws(() => load(w), (e: unknown) => {
      assert.ok(e instanceof PickleError);
      assert.equal(e.kind, 'refused');
      assert.equal(e.offset, 13);
      assert.equal(e.message, `refused global ${module}.${name} at offset 13`);
      return true;
    });
  }
  assert.equal(existsSync(sentinel), false);
});

test('the classic `cos\\nsystem\\n` payload is refused', () => {
  const payload = new TextEncoder().encode("cos\nsystem\n(S'echo pwned'\ntR.");
  assert.throws(() => load(payload), { name: 'PickleError', message: 'refused global os.system at offset 0' });
});

test('STACK_GLOBAL is refused the same way', () => {
  const w = new PickleWriter().proto(4).raw(0x8c, 8).text('builtins').raw(0x8c, 4).text('eval').raw(0x93);
  assert.throws(() => load(w.stop()), { message: 'refused global builtins.eval at offset 18' });
});

test('unknown and unsupported opcodes are named with their offset', () => {
  assert.throws(() => load(new PickleWriter().proto(2).raw(0xff)), { message: 'unknown pickle opcode 0xff at offset 2' });
  assert.throws(() => load(new PickleWriter().proto(2).raw(0x69)), { message: 'unsupported pickle opcode INST (0x69) at offset 2' });
  assert.throws(() => load(new PickleWriter().proto(2).raw(0x82, 1)), { message: 'unsupported pickle opcode EXT1 (0x82) at offset 2' });
  assert.throws(() => load(new PickleWriter().proto(5).raw(0x97)), /NEXT_BUFFER/);
});

test('truncated and malformed streams fail cleanly', () => {
  assert.throws(() => load(new PickleWriter().proto(2).none()), (e: unknown) => e instanceof PickleError && e.kind === 'truncated');
  assert.throws(() => load(new PickleWriter().proto(2).raw(0x58).u32(1000).text('abc')), (e: unknown) => e instanceof PickleError && e.kind === 'truncated');
  assert.throws(() => load(new PickleWriter().proto(2).raw(0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)), /truncated pickle/);
  assert.throws(() => load(new PickleWriter().proto(2).tuple()), /TUPLE \(0x74\) without MARK/);
  assert.throws(() => load(new PickleWriter().proto(2).raw(0x68, 3)), /memo key 3 is missing/);
  assert.throws(() => load(new PickleWriter().proto(2).raw(0x61)), /stack underflow/);
  assert.throws(() => load(new PickleWriter().proto(9)), /unsupported pickle protocol 9/);
  assert.throws(() => load(new PickleWriter().proto(2).none().none().stop()), /STOP with 2 values/);
});

test('calls are limited to allowlisted callables', () => {
  // A plain value global (a dtype) cannot be called.
  assert.throws(() => load(new PickleWriter().proto(2).global('torch', 'float32').emptyTuple().reduce().stop()), /torch\.float32 is not callable/);
  assert.throws(() => load(new PickleWriter().proto(2).str('os.system').emptyTuple().reduce().stop()), /cannot call a str/);
  assert.throws(() => load(new PickleWriter().proto(2).emptyList().emptyDict().build().stop()), /BUILD is not allowed on list/);
  assert.throws(() => load(new PickleWriter().proto(2).str('x').binpersid().stop()), /persistent ids are not allowed/);
  const g = load(new PickleWriter().proto(2).global('torch', 'bfloat16').stop());
  assert.ok(g instanceof PyGlobal && g.qualname === 'torch.bfloat16');
});

test('numpy scalars and protocol-2 bytes decode', () => {
  const w = new PickleWriter().proto(2).global('numpy.core.multiarray', 'scalar')
    .global('numpy', 'dtype').str('f8').bool(false).bool(true).raw(0x87).reduce()
    .mark().int(3).str('<').none().none().none().int(-1 & 0xff).int(0).int(0).tuple().build();
  const eight = new Uint8Array(new Float64Array([0.9375]).buffer);
  w.global('_codecs', 'encode').str(String.fromCharCode(...eight)).str('latin1').raw(0x86).reduce();
  w.raw(0x86).reduce().stop();
  assert.equal(load(w), 0.9375);
  const dt = load(new PickleWriter().proto(2).global('numpy', 'dtype').str('i8').bool(false).bool(true).raw(0x87).reduce().stop());
  assert.ok(dt instanceof NumpyDType && dt.code === 'i8');
});

test('huge APPENDS, SETITEMS, ADDITEMS, FROZENSET and set(list) do not overflow the call stack', () => {
  const n = 300_000;
  const items = (w: PickleWriter, pairs = false): PickleWriter => {
    for (let i = 0; i < n; i++) {
      if (pairs) w.int(i); // distinct keys
      w.int(i & 0xff);
    }
    return w;
  };
  const list = load(items(new PickleWriter().proto(2).emptyList().mark()).appends().stop());
  assert.ok(Array.isArray(list) && list.length === n);
  const dict = load(items(new PickleWriter().proto(2).emptyDict().mark().raw(0x4a).u32(-1).int(0), true).setitems().stop());
  assert.ok(dict instanceof PyDict && dict.size === n + 1);
  const added = load(items(new PickleWriter().proto(4).raw(0x8f).mark()).raw(0x90).stop());
  assert.ok(added instanceof PySet && added.items.length === n);
  const frozen = load(items(new PickleWriter().proto(4).mark()).raw(0x91).stop());
  assert.ok(frozen instanceof PySet && frozen.frozen && frozen.items.length === n);
  const viaCall = load(items(new PickleWriter().proto(2).global('builtins', 'set').emptyList().mark()).appends().raw(0x85).reduce().stop());
  assert.ok(viaCall instanceof PySet && viaCall.items.length === n);
});

test('torch options: repeated container copies of one memoised list hit the copy budget', async () => {
  const { torchUnpickleOptions, MAX_COPIED_ITEMS } = await import('./torch-allowlist.js');
  const w = new PickleWriter().proto(2);
  // A 100k-element list in memo, then set(list) called until the copies pass the budget.
  w.emptyList();
  const list = w.put();
  w.mark();
  for (let i = 0; i < 100_000; i++) w.int(i);
  w.appends();
  const setFn = (w.global('builtins', 'set'), w.put());
  w.raw(0x30); // POP the global left on the stack
  w.emptyList();
  const calls = Math.ceil(MAX_COPIED_ITEMS / 100_000) + 1;
  for (let i = 0; i < calls; i++) {
    w.get(setFn).get(list).raw(0x85); // set, (list,)
    w.reduce();
    w.raw(0x61); // APPEND the set to the outer list
  }
  w.stop();
  const bytes = w.bytes();
  assert.ok(bytes.length < 2_000_000, `pickle is ${bytes.length} bytes`);
  assert.throws(() => unpickle(bytes, torchUnpickleOptions()), /container copies exceed 50000000 items \(builtins\.set\)/);
});
