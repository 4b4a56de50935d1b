import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

// bin/usfm.js runs the compiled CLI (dist/, built by `npm ci`'s prepare script).
const bin = fileURLToPath(new URL('../../bin/usfm.js', import.meta.url));
const glibc = Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

/** Runs `node bin/usfm.js args` with a preload (in every node process it starts) given as JS source. */
function run(args: readonly string[], preload: string, env: Record<string, string> = {}): ReturnType<typeof spawnSync> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_') && k !== 'USFM_MALLOC_TUNING'));
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...clean, ...env, NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(preload)}` },
  });
}

const REPORT = 'console.error("trim="+process.env.MALLOC_TRIM_THRESHOLD_+" mmap="+process.env.MALLOC_MMAP_THRESHOLD_)';

test('the usfm launcher runs the CLI once more with the malloc tunables (glibc), passing its exit code through', () => {
  const r = run(['no-such-command'], REPORT);
  assert.equal(r.status, 2);
  assert.match(String(r.stderr), /unknown command 'no-such-command'/);
  const seen = String(r.stderr).match(/trim=\S+ mmap=\S+/g) ?? [];
  if (glibc) assert.deepEqual(seen, ['trim=undefined mmap=undefined', 'trim=68719476736 mmap=33554432']);
  else assert.deepEqual(seen, ['trim=undefined mmap=undefined']);
});

test('USFM_MALLOC_TUNING=0 or a tunable set by the user: no second process', () => {
  const envs: Record<string, string>[] = [{ USFM_MALLOC_TUNING: '0' }, { MALLOC_TRIM_THRESHOLD_: '1000000' }];
  for (const env of envs) {
    const r = run(['no-such-command'], REPORT, env);
    assert.equal(r.status, 2);
    assert.equal((String(r.stderr).match(/trim=/g) ?? []).length, 1, JSON.stringify(env));
  }
});

test('a CLI process killed by a signal makes the launcher die of the same signal', () => {
  const r = run(['no-such-command'], 'if(process.env.MALLOC_TRIM_THRESHOLD_)process.kill(process.pid,"SIGTERM")');
  if (glibc) assert.equal(r.signal, 'SIGTERM');
  else assert.equal(r.status, 2); // no launcher: the preload never fires
});
