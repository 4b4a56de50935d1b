import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckpointError } from './errors.js';
import { buildZip } from './testing/zip-builder.js';
import { scratch } from './testing/tmp.js';
import { ZipArchive } from './zip.js';

const tmp = await scratch();
const enc = new TextEncoder();
const big = new Uint8Array(5000).map((_, i) => (i * 7) % 251);
const inputs = [
  { name: 'a/data.pkl', data: enc.encode('hello') },
  { name: 'a/data/0', data: big },
  { name: 'a/empty', data: new Uint8Array(0) },
  { name: 'a/packed', data: big, deflate: true },
];

async function readAll(path: string): Promise<Map<string, Uint8Array>> {
  const z = await ZipArchive.open(path);
  try {
    const out = new Map<string, Uint8Array>();
    for (const e of z.entries) out.set(e.name, await z.read(e));
    return out;
  } finally {
    await z.close();
  }
}

for (const [label, opts] of [['plain', {}], ['zip64', { zip64: true }], ['aligned zip64', { zip64: true, align: 64 }]] as const) {
  test(`reads stored and deflated entries (${label})`, async () => {
    const path = await tmp.file(`${label.replace(' ', '-')}.zip`, buildZip(inputs, opts));
    const got = await readAll(path);
    assert.deepEqual([...got.keys()], inputs.map((i) => i.name));
    for (const i of inputs) assert.deepEqual(got.get(i.name), i.data, i.name);
  });
}

test('aligned entries start on 64-byte boundaries and read buffers are exclusively owned', async () => {
  const path = await tmp.file('aligned.zip', buildZip(inputs, { align: 64 }));
  const z = await ZipArchive.open(path);
  try {
    const e = z.get('a/data/0')!;
    assert.equal((await z.dataOffset(e)) % 64, 0);
    const bytes = await z.read(e);
    assert.equal(bytes.byteOffset, 0);
    assert.equal(bytes.buffer.byteLength, e.size);
    assert.equal(z.get('missing'), undefined);
  } finally {
    await z.close();
  }
});

test('non-zip and empty files are rejected as not-zip', async () => {
  for (const [name, body] of [['text.bin', 'just some text, definitely not a zip archive'], ['empty.bin', '']] as const) {
    const path = await tmp.file(name, body);
    await assert.rejects(ZipArchive.open(path), (e: unknown) => {
      assert.ok(e instanceof CheckpointError);
      assert.equal(e.code, 'not-zip');
      assert.equal(e.message, `${path}: not a zip archive (no zip signature)`);
      return true;
    });
  }
});

test('a zip cut short is reported as truncated', async () => {
  const whole = buildZip(inputs);
  for (const keep of [whole.length - 5, Math.floor(whole.length / 2), 10]) {
    const path = await tmp.file(`cut-${keep}.zip`, whole.subarray(0, keep));
    await assert.rejects(ZipArchive.open(path), (e: unknown) => {
      assert.ok(e instanceof CheckpointError);
      assert.equal(e.code, 'truncated');
      assert.match(e.message, /^.*cut-\d+\.zip: truncated \(/);
      return true;
    });
  }
});

test('an entry whose data runs past the end of the file is reported by name', async () => {
  const bytes = buildZip(inputs);
  // Grow data/0's sizes in its central-directory record (the last occurrence of its name).
  const name = enc.encode('a/data/0');
  let at = -1;
  for (let i = bytes.length - name.length; i >= 0 && at < 0; i--) {
    if (name.every((b, j) => bytes[i + j] === b)) at = i - 46;
  }
  const v = new DataView(bytes.buffer);
  v.setUint32(at + 20, 1 << 24, true);
  v.setUint32(at + 24, 1 << 24, true);
  const path = await tmp.file('overrun.zip', bytes);
  const z = await ZipArchive.open(path);
  try {
    await assert.rejects(z.read(z.get('a/data/0')!), { message: `${path}: truncated (entry a/data/0 ends past end of file)` });
    assert.deepEqual(await z.read(z.get('a/data.pkl')!), enc.encode('hello'));
  } finally {
    await z.close();
  }
});

test('a missing file is an io error naming the file', async () => {
  await assert.rejects(ZipArchive.open(`${tmp.dir}/nope.zip`), (e: unknown) => e instanceof CheckpointError && e.code === 'io' && e.message.startsWith(`${tmp.dir}/nope.zip: cannot open`));
});
