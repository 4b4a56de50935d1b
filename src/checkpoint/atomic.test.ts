import assert from 'node:assert/strict';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkWritable, tempPathFor, writeFileAtomic } from './atomic.js';
import { scratch } from './testing/tmp.js';

const tmp = await scratch();
const enc = new TextEncoder();

test('chunks are written in order and only the target remains', async () => {
  const path = join(tmp.dir, 'ok.bin');
  await writeFileAtomic(path, [enc.encode('ab'), new Uint8Array(0), enc.encode('cd')]);
  assert.equal(await readFile(path, 'utf8'), 'abcd');
  async function* gen(): AsyncGenerator<Uint8Array> {
    yield enc.encode('x');
    yield enc.encode('yz');
  }
  await writeFileAtomic(path, gen());
  assert.equal(await readFile(path, 'utf8'), 'xyz');
  assert.deepEqual(await readdir(tmp.dir), ['ok.bin']);
});

test('a failure mid-stream removes the temp file and leaves the old target intact', async () => {
  const path = await tmp.file('keep.bin', 'original');
  function* failing(): Generator<Uint8Array> {
    yield new Uint8Array(1 << 16).fill(1);
    throw new Error('disk on fire');
  }
  await assert.rejects(writeFileAtomic(path, failing()), /disk on fire/);
  assert.equal(await readFile(path, 'utf8'), 'original');
  assert.deepEqual((await readdir(tmp.dir)).filter((f) => f.includes('keep')), ['keep.bin']);

  const fresh = join(tmp.dir, 'never.bin');
  await assert.rejects(writeFileAtomic(fresh, failing()), /disk on fire/);
  assert.deepEqual((await readdir(tmp.dir)).filter((f) => f.includes('never')), []);
});

test('an unwritable destination fails without leaving files', async () => {
  await assert.rejects(writeFileAtomic(join(tmp.dir, 'no-such-dir', 'x.bin'), [enc.encode('x')]), { code: 'ENOENT' });
  // Renaming onto a directory fails after the data was written: the temp file must still go.
  const dirTarget = join(tmp.dir, 'is-a-dir');
  await mkdir(join(dirTarget, 'child'), { recursive: true });
  await assert.rejects(writeFileAtomic(dirTarget, [enc.encode('data')]));
  assert.deepEqual((await readdir(tmp.dir)).filter((f) => f.endsWith('.tmp')), []);
});

test('temp names are hidden siblings of the target', () => {
  const a = tempPathFor('/some/dir/model.safetensors');
  assert.match(a, /^\/some\/dir\/\.model\.safetensors\.\d+\.[0-9a-f]{12}\.tmp$/);
  assert.notEqual(a, tempPathFor('/some/dir/model.safetensors'));
});

test('write failures name the target, never the hidden temp file', async () => {
  const dir = join(tmp.dir, 'missing-dir');
  const target = join(dir, 'out.bin');
  await assert.rejects(writeFileAtomic(target, [enc.encode('x')]), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.equal(e.message, `${target}: cannot write (directory ${dir} does not exist)`);
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOENT');
    return true;
  });
  const dirTarget = join(tmp.dir, 'dir-target');
  await mkdir(join(dirTarget, 'child'), { recursive: true });
  await assert.rejects(writeFileAtomic(dirTarget, [enc.encode('data')]), (e: unknown) => {
    assert.ok(e instanceof Error && e.message.startsWith(`${dirTarget}: cannot write (`), String(e));
    assert.ok(!e.message.includes('.tmp'), e.message);
    return true;
  });
});

test('checkWritable accepts new and existing files in writable directories and refuses the rest up front', async () => {
  await checkWritable(join(tmp.dir, 'new.bin'));
  await checkWritable(await tmp.file('exists.bin', 'x'));
  const cases: Array<[string, string, string]> = [
    [join(tmp.dir, 'nope', 'x.bin'), `directory ${join(tmp.dir, 'nope')} does not exist`, 'ENOENT'],
    [join(tmp.dir, 'exists.bin', 'x.bin'), `${join(tmp.dir, 'exists.bin')} is not a directory`, 'ENOTDIR'],
    [tmp.dir, 'is a directory', 'EISDIR'],
  ];
  // (EACCES cannot be provoked here: tests and CI run as root, which may write anywhere.)
  for (const [path, reason, code] of cases) {
    await assert.rejects(checkWritable(path), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(e.message, `${path}: cannot write (${reason})`);
      assert.equal((e as NodeJS.ErrnoException).code, code);
      return true;
    }, path);
  }
});
