// Test helper: throwaway dataset folder trees under one temp directory, removed after the file's tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';

/** Returns `tree(files)`: a fresh root holding `files` (paths ending in '/' are empty folders). */
export function treeMaker(prefix: string): (files: readonly string[]) => string {
  const base = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(base, { recursive: true, force: true }));
  let counter = 0;
  return (files) => {
    const root = join(base, `t${counter++}`);
    mkdirSync(root);
    for (const f of files) {
      const p = join(root, f);
      if (f.endsWith('/')) mkdirSync(p, { recursive: true });
      else {
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, 'x');
      }
    }
    return root;
  };
}
