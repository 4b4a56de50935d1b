/** Hostile geometry and corrupt bytes in otherwise well-formed .pth archives. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckpointError } from './errors.js';
import { materialiseTensors } from './materialise.js';
import { loadPth, readPth } from './pth.js';
import { TDict, TTensor, torchSave } from './testing/pickle-builder.js';
import { bytesOf, scratch } from './testing/tmp.js';
import { StorageRef, TensorRef } from './torch-refs.js';
import { ZipArchive } from './zip.js';

const tmp = await scratch();
const f32 = (xs: number[]): Uint8Array => bytesOf(new Float32Array(xs));
const ONE = { key: '0', type: 'FloatStorage', numel: 1 };

async function rejectsNamingFile(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(readPth(path), (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('zero strides cannot blow a 1-element storage up into gigabytes', async () => {
  const tree = new TDict([['w', new TTensor(ONE, [1 << 16, 1 << 10], [0, 0])]]);
  const path = await tmp.file('broadcast-bomb.pth', torchSave(tree, { 0: f32([1]) }));
  await rejectsNamingFile(path, /tensors would need 268435456 bytes once materialised, more than the \d+ this file allows \(largest: "w", float32\[65536, 1024\]/);
  const huge = await tmp.file('broadcast-huge.pth', torchSave(new TDict([['w', new TTensor(ONE, [1 << 25, 1 << 10], [0, 0])]]), { 0: f32([1]) }));
  await rejectsNamingFile(huge, /tensors would need \d+ bytes once materialised/);
  const overflow = await tmp.file('broadcast-overflow.pth', torchSave(new TDict([['w', new TTensor(ONE, [2 ** 40, 2 ** 40], [0, 0])]]), { 0: f32([1]) }));
  await rejectsNamingFile(overflow, /view of size \[1099511627776, 1099511627776\] has too many elements/);
});

test('broadcast views within the budget still load', async () => {
  const row = { key: 'r', type: 'FloatStorage', numel: 768 };
  const tree = new TDict([['pos', new TTensor(row, [1024, 768], [0, 1])]]);
  const t = (await loadPth(await tmp.file('expand.pth', torchSave(tree, { r: f32(Array.from({ length: 768 }, (_, i) => i)) })))).tensors.get('pos')!;
  assert.deepEqual(t.shape, [1024, 768]);
  assert.equal(t.data[1023 * 768 + 767], 767);
});

test('a negative storage element count is refused', async () => {
  const tree = new TDict([['w', new TTensor({ key: '0', type: 'FloatStorage', numel: -1 }, [0])]]);
  const path = await tmp.file('negative.pth', torchSave(tree, { 0: f32([1]) }));
  await rejectsNamingFile(path, /archive\/data\.pkl: persistent_load: storage 0 has a negative element count \(-1\)/);
});

test('failures while materialising are CheckpointErrors naming the file', async () => {
  const path = await tmp.file('plain.pth', torchSave(new TDict([['w', new TTensor(ONE, [1])]]), { 0: f32([1]) }));
  const archive = await ZipArchive.open(path);
  try {
    // Geometry the allowlist would refuse, handed straight to the materialiser.
    const bad = new TensorRef(new StorageRef('0', 'float32', -1, 'cpu'), 0, [0], [1], false);
    await assert.rejects(materialiseTensors(archive, 'archive/', false, new Map([['w', bad]])), (e: unknown) => {
      assert.ok(e instanceof CheckpointError);
      assert.match(e.message, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: storage 0 \\(float32\\[-1\\]\\): `));
      return true;
    });
  } finally {
    await archive.close();
  }
});

test('a storage whose bytes were damaged fails its CRC check', async () => {
  const bytes = torchSave(new TDict([['w', new TTensor({ key: '0', type: 'FloatStorage', numel: 4 }, [4])]]), { 0: f32([1, 2, 3, 4]) });
  const needle = new Uint8Array(new Float32Array([3]).buffer);
  for (let i = 0; i < bytes.length; i++) {
    if (needle.every((b, j) => bytes[i + j] === b)) {
      bytes[i]! ^= 1;
      break;
    }
  }
  const path = await tmp.file('damaged.pth', bytes);
  await assert.rejects(readPth(path), { message: `${path}: entry archive/data/0 is corrupt (CRC mismatch)` });
});

test('storages declaring more bytes than the zip could possibly inflate to are refused before reading', async () => {
  const bytes = torchSave(new TDict([['w', new TTensor({ key: '0', type: 'FloatStorage', numel: 2 ** 29 }, [1])]]), { 0: f32([1]) }, { deflate: true });
  // Claim 2 GiB for archive/data/0 in its central-directory record (the name's last occurrence).
  const name = new TextEncoder().encode('archive/data/0');
  let at = -1;
  for (let i = bytes.length - name.length; i >= 0 && at < 0; i--) if (name.every((b, j) => bytes[i + j] === b)) at = i - 46;
  new DataView(bytes.buffer).setUint32(at + 24, 2 ** 31, true);
  const path = await tmp.file('liar.pth', bytes);
  await rejectsNamingFile(path, new RegExp(`storages declare ${2 ** 31} bytes, more than a ${bytes.length}-byte zip can hold`));
});
