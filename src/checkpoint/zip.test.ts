import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, crc32Js } from './crc32.js';
import { CheckpointError } from './errors.js';
import { buildZip, crc32 as referenceCrc32 } from './testing/zip-builder.js';
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

/** Offset of `name`'s local header name field (first occurrence) and central-directory record (last occurrence). */
function locate(bytes: Uint8Array, name: string): { local: number; central: number } {
  const n = enc.encode(name);
  const hits: number[] = [];
  for (let i = 0; i + n.length <= bytes.length; i++) if (n.every((b, j) => bytes[i + j] === b)) hits.push(i);
  return { local: hits[0]!, central: hits[hits.length - 1]! - 46 };
}

async function expectCorrupt(path: string, name: string, message: string | RegExp): Promise<void> {
  const z = await ZipArchive.open(path);
  try {
    await assert.rejects(z.read(z.get(name)!), (e: unknown) => {
      assert.ok(e instanceof CheckpointError);
      assert.equal(e.code, 'corrupt');
      if (typeof message === 'string') assert.equal(e.message, `${path}: ${message}`);
      else assert.match(e.message, message);
      return true;
    });
    assert.deepEqual(await z.read(z.get('a/data.pkl')!), enc.encode('hello'), 'other entries still read');
  } finally {
    await z.close();
  }
}

test('a stored entry whose bytes changed fails its CRC check', async () => {
  const bytes = buildZip(inputs);
  bytes[locate(bytes, 'a/data/0').local + 'a/data/0'.length + 100]! ^= 0x01;
  await expectCorrupt(await tmp.file('flipped.zip', bytes), 'a/data/0', 'entry a/data/0 is corrupt (CRC mismatch)');
});

test('a deflated entry with a wrong CRC or a short declared size fails its CRC check', async () => {
  const bytes = buildZip(inputs);
  const v = new DataView(bytes.buffer);
  const at = locate(bytes, 'a/packed').central;
  v.setUint32(at + 16, v.getUint32(at + 16, true) ^ 0x8000, true);
  await expectCorrupt(await tmp.file('badcrc.zip', bytes), 'a/packed', 'entry a/packed is corrupt (CRC mismatch)');
  const short = buildZip(inputs);
  new DataView(short.buffer).setUint32(locate(short, 'a/packed').central + 24, 100, true);
  await expectCorrupt(await tmp.file('short.zip', short), 'a/packed', 'entry a/packed is corrupt (CRC mismatch)');
});

test('a deflated entry declaring more than deflate can produce is refused before allocating', async () => {
  const bytes = buildZip(inputs);
  const at = locate(bytes, 'a/packed').central;
  const v = new DataView(bytes.buffer);
  const comp = v.getUint32(at + 20, true);
  v.setUint32(at + 24, 0xfffffff0, true);
  await expectCorrupt(await tmp.file('bomb.zip', bytes), 'a/packed', `corrupt zip (entry a/packed declares ${0xfffffff0} bytes, more than ${comp} deflated bytes can hold)`);
});

test('crc32 (native or not) and the slicing-by-8 fallback match a bytewise reference at every length and alignment', () => {
  const data = new Uint8Array(4096 + 37).map((_, i) => (i * 2654435761) >>> 24);
  for (const [from, to] of [[0, 0], [0, 1], [1, 8], [3, 20], [5, 4096], [2, data.length], [0, data.length]] as const) {
    const part = data.subarray(from, to);
    const want = referenceCrc32(part);
    assert.equal(crc32Js(part), want, `js ${from}..${to}`);
    assert.equal(crc32(part), want, `crc32 ${from}..${to}`);
  }
  assert.equal(crc32(enc.encode('123456789')), 0xcbf43926);
  assert.equal(crc32Js(data.subarray(9), crc32Js(data.subarray(0, 9))), crc32(data), 'continuation');
});

test('stored entries larger than one read chunk are checksummed across chunks', async () => {
  const large = new Uint8Array(8 * 1024 * 1024 + 12345).map((_, i) => (i * 31) >>> 3);
  const bytes = buildZip([{ name: 'a/data.pkl', data: enc.encode('hello') }, { name: 'a/large', data: large }]);
  const path = await tmp.file('large.zip', bytes);
  const z = await ZipArchive.open(path);
  try {
    assert.deepEqual(await z.read(z.get('a/large')!), large);
  } finally {
    await z.close();
  }
  bytes[locate(bytes, 'a/large').local + 'a/large'.length + large.length - 5]! ^= 0x40; // in the last chunk
  await expectCorrupt(await tmp.file('large-bad.zip', bytes), 'a/large', 'entry a/large is corrupt (CRC mismatch)');
});
