import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileSha256, identicalFiles } from './identical.js';
import { tempDir } from '../testing/temp_dir.js';

it('identicalFiles: same bytes at two paths; not a different byte past the first chunk, another size, a folder or a missing file', () => {
  const tmp = tempDir('usfm-identical-');
  const bytes = Buffer.alloc((4 << 20) + 10, 7);
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => join(tmp, n)) as [string, string, string, string];
  writeFileSync(a, bytes);
  writeFileSync(b, bytes);
  bytes[bytes.length - 1] = 8;
  writeFileSync(c, bytes);
  writeFileSync(d, bytes.subarray(1));
  mkdirSync(join(tmp, 'dir'));
  assert.equal(identicalFiles(a, b), true);
  assert.equal(identicalFiles(a, a), true);
  assert.equal(identicalFiles(a, c), false);
  assert.equal(identicalFiles(a, d), false);
  assert.equal(identicalFiles(a, join(tmp, 'dir')), false);
  assert.equal(identicalFiles(a, join(tmp, 'missing')), false);
});

it('fileSha256: the SHA-256 of the bytes (across chunks), equal for copies, different for one changed byte', async () => {
  const tmp = tempDir('usfm-sha256-');
  const bytes = Buffer.alloc((4 << 20) + 10, 7);
  const [a, b] = [join(tmp, 'a'), join(tmp, 'b')];
  writeFileSync(a, bytes);
  bytes[bytes.length - 1] = 8;
  writeFileSync(b, bytes);
  assert.equal(await fileSha256(a), createHash('sha256').update(Buffer.alloc((4 << 20) + 10, 7)).digest('hex'));
  assert.notEqual(await fileSha256(a), await fileSha256(b));
  writeFileSync(join(tmp, 'abc'), 'abc');
  // The standard test vector.
  assert.equal(await fileSha256(join(tmp, 'abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
