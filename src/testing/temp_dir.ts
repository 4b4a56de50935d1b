import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs: string[] = [];

/**
 * A fresh directory under the OS temp dir for a test's files, removed when the process exits (the test
 * runner gives each test file its own process), so suites leave nothing behind even when a test fails.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!dirs.length) process.on('exit', () => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
  dirs.push(dir);
  return dir;
}
