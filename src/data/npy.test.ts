import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { floatToHalf, hostTensor } from '../core/host.js';
import { encodeNpy, parseNpy, readNpy, writeNpy } from './npy.js';
import { fixturePath } from './testing/fixtures.js';

const npy = (name: string): string => fixturePath(`npy/${name}.npy`);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('readNpy', () => {
  it('reads float, int, uint8 and bool arrays', async () => {
    const cases = [
      ['f4_2x3', 'float32', [2, 3]],
      ['f8_2x3', 'float64', [2, 3]],
      ['i2_4', 'int32', [4]],
      ['u1_2x2', 'uint8', [2, 2]],
      ['be_f4_2x2', 'float32', [2, 2]],
      ['v2_f4_3', 'float32', [3]],
      ['v3_f4_3', 'float32', [3]],
    ] as const;
    for (const [name, dtype, shape] of cases) {
      const t = await readNpy(npy(name));
      assert.equal(t.dtype, dtype, name);
      assert.deepEqual(t.shape, shape, name);
      assert.deepEqual([...(t.data as Float32Array)], range(t.data.length), name);
    }
  });

  it('reads float16 bits, int64 and bool', async () => {
    const h = await readNpy(npy('f2_4'));
    assert.equal(h.dtype, 'float16');
    assert.deepEqual([...(h.data as Uint16Array)], range(4).map(floatToHalf));
    const l = await readNpy(npy('i8_3'));
    assert.equal(l.dtype, 'int64');
    assert.deepEqual([...(l.data as BigInt64Array)], [0n, 1n, 2n]);
    const b = await readNpy(npy('bool_5'));
    assert.equal(b.dtype, 'bool');
    assert.deepEqual([...b.data], [1, 0, 1, 0, 1]);
  });

  it('transposes Fortran-ordered arrays to C order', async () => {
    const t = await readNpy(npy('fortran_f4_2x3x4'));
    assert.deepEqual(t.shape, [2, 3, 4]);
    assert.deepEqual([...t.data], range(24));
  });

  it('reads 0-d arrays', async () => {
    const t = await readNpy(npy('scalar_f8'));
    assert.deepEqual(t.shape, []);
    assert.deepEqual([...t.data], [0]);
  });

  it('names the file in errors', async () => {
    await assert.rejects(readNpy('/nonexistent/x.npy'), { message: '/nonexistent/x.npy: no such file' });
    const good = encodeNpy(hostTensor('float32', [4], new Float32Array(4)));
    assert.throws(() => parseNpy(new Uint8Array(0), 'a.npy'), { message: 'a.npy: empty file' });
    assert.throws(() => parseNpy(new Uint8Array(20), 'b.npy'), /^Error: b\.npy: not a \.npy file/);
    assert.throws(() => parseNpy(good.subarray(0, good.length - 1), 'c.npy'), /c\.npy: truncated data/);
    const odd = good.slice();
    odd.set(new TextEncoder().encode("'<c8'"), good.indexOf(0x27, 20));
    assert.throws(() => parseNpy(odd, 'd.npy'), /d\.npy: unsupported dtype '<c8'/);
    const v9 = good.slice();
    v9[6] = 9;
    assert.throws(() => parseNpy(v9, 'e.npy'), /e\.npy: unsupported \.npy format version 9/);
  });
});

describe('writeNpy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'usfm-npy-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips float32 with a 64-byte aligned v1 header', async () => {
    const t = hostTensor('float32', [2, 3, 4], Float32Array.from(range(24), (v) => v / 7 - 1));
    const path = join(dir, 't.npy');
    await writeNpy(path, t);
    const back = await readNpy(path);
    assert.deepEqual(back, t);
    const bytes = encodeNpy(t);
    assert.equal((bytes.length - 24 * 4) % 64, 0);
    assert.equal(bytes[6], 1);
    assert.match(new TextDecoder().decode(bytes.subarray(10, 80)), /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3, 4\), \}/);
  });

  it('writes 1-d and 0-d shapes and other dtypes', () => {
    for (const t of [
      hostTensor('float32', [5], new Float32Array(5).fill(2)),
      hostTensor('float32', []),
      hostTensor('int64', [2], new BigInt64Array([5n, -3n])),
      hostTensor('uint8', [2, 1], new Uint8Array([7, 9])),
    ]) {
      assert.deepEqual(parseNpy(encodeNpy(t)), t);
    }
    assert.match(new TextDecoder().decode(encodeNpy(hostTensor('float32', [5])).subarray(10, 70)), /'shape': \(5,\)/);
  });

  it('replaces the file atomically: links to the old file keep the old bytes, failures name the target', async () => {
    const path = join(dir, 'atomic.npy');
    const alias = join(dir, 'alias.npy');
    writeFileSync(path, 'old contents');
    linkSync(path, alias);
    const t = hostTensor('int32', [2], new Int32Array([4, 5]));
    await writeNpy(path, t);
    assert.deepEqual(await readNpy(path), t);
    assert.equal(readFileSync(alias, 'utf8'), 'old contents', 'a new file was renamed into place, not the old one overwritten');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    const missing = join(dir, 'no-such-dir', 'x.npy');
    await assert.rejects(writeNpy(missing, t), { message: `${missing}: cannot write (directory ${join(dir, 'no-such-dir')} does not exist)` });
  });

  it('parses a .npy held in an unaligned subarray', () => {
    const t = hostTensor('float64', [3], new Float64Array([1.5, -2, 3]));
    const enc = encodeNpy(t);
    const padded = new Uint8Array(enc.length + 3);
    padded.set(enc, 3);
    assert.deepEqual(parseNpy(padded.subarray(3)), t);
  });
});
