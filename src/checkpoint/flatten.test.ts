import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckpointError } from './errors.js';
import { TOO_LARGE, flattenCheckpoint, toJson } from './flatten.js';
import { loadPth } from './pth.js';
import { PyDict } from './pickle-values.js';
import type { PickleValue } from './pickle-values.js';
import { setOwn } from './set-own.js';
import { PickleWriter } from './testing/pickle-builder.js';
import { scratch } from './testing/tmp.js';
import { buildZip } from './testing/zip-builder.js';
import { StorageRef, TensorRef } from './torch-refs.js';

const tmp = await scratch();

/** `{'a': L_k}` with L_0 = ['x'] and L_i = [L_{i-1}, L_{i-1}] built through the memo: O(k) bytes, 2^k leaves. */
function doublingPickle(k: number): Uint8Array {
  const w = new PickleWriter().proto(2);
  w.emptyList();
  let prev = w.put();
  w.mark().str('x').appends().raw(0x30); // POP: the list lives on in the memo
  for (let i = 1; i <= k; i++) {
    w.emptyList();
    const slot = w.put();
    w.mark().get(prev).get(prev).appends().raw(0x30);
    prev = slot;
  }
  return w.emptyDict().str('a').get(prev).raw(0x73).stop().bytes();
}

/** The same doubling in JS, with a tensor at the bottom so the tensor walk (not toJson) has to expand it. */
function doublingTree(k: number): PickleValue {
  let l: PickleValue = [new TensorRef(new StorageRef('0', 'float32', 1, 'cpu'), 0, [1], [1], false)];
  for (let i = 0; i < k; i++) l = [l, l];
  const d = new PyDict();
  d.set('a', l);
  return d;
}

test('a pickle whose shared references double at every level is refused quickly, naming the file', async () => {
  const path = await tmp.file('doubling.pth', buildZip([{ name: 'archive/data.pkl', data: doublingPickle(60) }]));
  const started = Date.now();
  await assert.rejects(loadPth(path), (e: unknown) => {
    assert.ok(e instanceof CheckpointError);
    assert.ok(e.message.startsWith(`${path}: ${TOO_LARGE} (`), e.message);
    return true;
  });
  assert.ok(Date.now() - started < 10_000, 'must not walk 2^60 nodes');
});

test('the tensor walk is bounded too, and so is toJson on its own', () => {
  assert.throws(() => flattenCheckpoint(doublingTree(50), { maxSharedNodes: 10_000 }), { message: /^pickle structure too large\/cyclic \(more than 10000 nodes/ });
  const l: PickleValue[] = ['x'.repeat(100)];
  let top: PickleValue = l;
  for (let i = 0; i < 40; i++) top = [top, top];
  assert.throws(() => toJson(top, { maxSharedNodes: 10_000 }), { message: /^pickle structure too large\/cyclic/ });
  assert.throws(() => toJson(top, { maxSharedText: 5_000 }), { message: /more than 5000 bytes of text/ });
});

test('a container that contains itself is refused in metadata', () => {
  const loop: PickleValue[] = [];
  loop.push(loop);
  const d = new PyDict();
  d.set('loop', loop);
  assert.throws(() => flattenCheckpoint(d), { message: `${TOO_LARGE} (a container contains itself)` });
  assert.throws(() => toJson(loop), { message: `${TOO_LARGE} (a container contains itself)` });
});

test('modest sharing and large unshared trees are fine', () => {
  const cfg = new PyDict();
  cfg.set('lr', 0.5);
  const t = new TensorRef(new StorageRef('0', 'float32', 4, 'cpu'), 0, [4], [1], false);
  const d = new PyDict();
  d.set('w', t);
  d.set('tied', t);
  d.set('args', cfg);
  d.set('again', [cfg, cfg]);
  const big = Array.from({ length: 50_000 }, (_, i) => i);
  d.set('history', big);
  const flat = flattenCheckpoint(d, { maxSharedNodes: 10 });
  assert.deepEqual([...flat.tensors.keys()], ['w', 'tied']);
  assert.deepEqual(flat.meta['again'], [{ lr: 0.5 }, { lr: 0.5 }]);
  assert.equal((flat.meta['history'] as number[]).length, 50_000);
});

test('setOwn keeps "__proto__" as plain data', () => {
  const o: Record<string, number> = {};
  setOwn(o, '__proto__', 1);
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(Object.keys(o), ['__proto__']);
});
