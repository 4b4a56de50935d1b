import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HostTensor } from '../core/host.js';
import { hostTensor } from '../core/host.js';
import { CheckpointError } from './errors.js';
import { readSafetensors, readSafetensorsHeader, readSafetensorsMetadataSync, writeSafetensors } from './safetensors.js';
import { scratch } from './testing/tmp.js';

const tmp = await scratch();

const ALL: Array<[string, HostTensor]> = [
  ['f32', hostTensor('float32', [2, 3], new Float32Array([1, -2, 3.5, 0, 1e-30, -1e30]))],
  ['f16', hostTensor('float16', [3], new Uint16Array([0x3c00, 0xc000, 0x7c00]))],
  ['bf16', hostTensor('bfloat16', [1, 2], new Uint16Array([0x3f80, 0xff80]))],
  ['f64', hostTensor('float64', [], new Float64Array([Math.E]))],
  ['i64', hostTensor('int64', [2], new BigInt64Array([-(2n ** 62n), 42n]))],
  ['i32', hostTensor('int32', [3], new Int32Array([-1, 0, 2 ** 31 - 1]))],
  ['u8', hostTensor('uint8', [5], new Uint8Array([0, 1, 2, 254, 255]))],
  ['i8', hostTensor('int8', [2], new Int8Array([-128, 127]))],
  ['flag', hostTensor('bool', [3], new Uint8Array([1, 0, 1]))],
  ['nothing', hostTensor('float32', [0, 4])],
  ['__proto__', hostTensor('uint8', [1], new Uint8Array([9]))],
];

function spliceHeader(header: Record<string, unknown>, dataBytes: number, pad = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

test('round trip of every dtype with metadata', async () => {
  const path = `${tmp.dir}/all.safetensors`;
  const metadata = JSON.parse('{"format": "pt", "note": "ünïcode", "empty": "", "__proto__": "x"}') as Record<string, string>;
  // A tensor that is a view into a larger buffer must write only its own bytes.
  const backing = new Float32Array([9, 9, 4, 5, 9]);
  const tensors = new Map<string, HostTensor>([...ALL, ['view', hostTensor('float32', [2], backing.subarray(2, 4))]]);
  await writeSafetensors(path, tensors, metadata);
  const back = await readSafetensors(path);
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual([...back.tensors.keys()].sort(), [...tensors.keys()].sort());
  for (const [name, t] of tensors) {
    const got = back.tensors.get(name)!;
    assert.equal(got.dtype, t.dtype, name);
    assert.deepEqual(got.shape, t.shape, name);
    assert.deepEqual([...got.data], [...t.data], name);
    assert.equal(got.data.constructor, t.data.constructor, name);
  }
});

test('the file layout follows the spec: u64 LE length, space-padded JSON header, packed data', async () => {
  const path = `${tmp.dir}/layout.safetensors`;
  await writeSafetensors(path, new Map(ALL.slice(0, 3)), { a: 'b' });
  const bytes = await readFile(path);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0);
  const text = bytes.subarray(8, 8 + n).toString('utf8');
  assert.match(text, /^\{.*\} *$/);
  const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  assert.deepEqual(header['__metadata__'], { a: 'b' });
  assert.deepEqual(header['f32'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.deepEqual(header['f16'], { dtype: 'F16', shape: [3], data_offsets: [24, 30] });
  assert.deepEqual(header['bf16'], { dtype: 'BF16', shape: [1, 2], data_offsets: [30, 34] });
  assert.equal(bytes.length, 8 + n + 34);
  assert.equal(bytes.readFloatLE(8 + n + 8), 3.5);
  const info = await readSafetensorsHeader(path);
  assert.deepEqual(info.entries.map((e) => e.name), ['f32', 'f16', 'bf16']);
});

test('a hand-written file with out-of-order offsets and no metadata reads', async () => {
  const bytes = spliceHeader({ b: { dtype: 'I32', shape: [1], data_offsets: [4, 8] }, a: { dtype: 'U8', shape: [2, 2], data_offsets: [0, 4] } }, 8, 3);
  const data = bytes.subarray(bytes.length - 8);
  data.set([1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff]);
  const got = await readSafetensors(await tmp.file('hand.safetensors', bytes));
  assert.deepEqual(got.metadata, {});
  assert.deepEqual([...got.tensors.get('a')!.data], [1, 2, 3, 4]);
  assert.deepEqual([...got.tensors.get('b')!.data], [-1]);
});

const CORRUPT: Array<[string, () => Uint8Array, RegExp]> = [
  ['tiny', () => new Uint8Array(5), /truncated \(5 bytes, shorter than the 8-byte header length\)/],
  ['huge header length', () => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 2n ** 60n, true); return b; }, /header length \d+ is implausible/],
  ['header past end', () => spliceHeader({}, 0).subarray(0, 9), /truncated \(header of 2 bytes ends past end of file\)/],
  ['bad json', () => { const b = spliceHeader({}, 0); b[8] = 0x5b; return b; }, /header is not valid JSON/],
  ['not an object', () => { const b = new TextEncoder().encode('[1]'); const o = new Uint8Array(11); o[0] = 3; o.set(b, 8); return o; }, /header is not a JSON object/],
  ['bad dtype', () => spliceHeader({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1), /tensor "w": unsupported dtype "F8_E4M3"/],
  ['bad shape', () => spliceHeader({ w: { dtype: 'U8', shape: [-1], data_offsets: [0, 1] } }, 1), /tensor "w": shape is not a list/],
  ['size mismatch', () => spliceHeader({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, 12), /tensor "w": data_offsets \[0, 12\] hold 12 bytes but F32\[2, 2\] needs 16/],
  ['out of range', () => spliceHeader({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /tensor "w": data_offsets \[0, 8\] end past the data region \(4 bytes\)/],
  ['reversed', () => spliceHeader({ w: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, 4), /tensor "w": data_offsets \[4, 0\] are reversed/],
  ['overlap', () => spliceHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /tensor "b" overlaps tensor "a"/],
  ['gap', () => spliceHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /tensor "a": gap of 4 unused bytes/],
  ['trailing', () => spliceHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /data region has 4 bytes after the last tensor/],
  ['bad metadata', () => spliceHeader({ __metadata__: { epoch: 3 } }, 0), /__metadata__ value for "epoch" is not a string/],
];

for (const [label, make, pattern] of CORRUPT) {
  test(`corrupt file is rejected: ${label}`, async () => {
    const path = await tmp.file(`bad-${label.replace(/ /g, '-')}.safetensors`, make());
    await assert.rejects(readSafetensors(path), (e: unknown) => {
      assert.ok(e instanceof CheckpointError, String(e));
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      assert.match(e.message, pattern);
      return true;
    });
    // The synchronous metadata read rejects what concerns the header alike (tensor data is not its business).
    assert.throws(() => readSafetensorsMetadataSync(path), (e: unknown) => {
      assert.ok(e instanceof CheckpointError, String(e));
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      assert.match(e.message, pattern);
      return true;
    });
  });
}

test('readSafetensorsMetadataSync returns the metadata map of a written file', async () => {
  const path = join(tmp.dir, 'meta.safetensors');
  await writeSafetensors(path, [['a', hostTensor('float32', [1], new Float32Array([1]))]], { 'usfm.pretrain': '{}', epoch: '3' });
  assert.deepEqual(readSafetensorsMetadataSync(path), { 'usfm.pretrain': '{}', epoch: '3' });
});

test('writing refuses inconsistent tensors and leaves nothing behind', async () => {
  const path = `${tmp.dir}/refused.safetensors`;
  const bad = { dtype: 'float32', shape: [3], data: new Float32Array(2) } as HostTensor;
  await assert.rejects(writeSafetensors(path, new Map([['w', bad]])), /tensor "w": float32\[3\] needs 3 elements, has 2/);
  await assert.rejects(writeSafetensors(path, [['__metadata__', ALL[0]![1]]]), /invalid tensor name "__metadata__"/);
  await assert.rejects(writeSafetensors(path, new Map(ALL), { n: 3 as unknown as string }), /metadata value for "n" is not a string/);
  await assert.rejects(readFile(path), { code: 'ENOENT' });
});
