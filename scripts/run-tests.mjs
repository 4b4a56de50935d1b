#!/usr/bin/env node
// Runs node's test runner over every *.test.ts under src/ (Node 20's --test takes no globs).
// Extra arguments are passed to node (e.g. --test-name-pattern=...). Set USFM_TEST_DIR to narrow.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : find(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const files = find(process.env.USFM_TEST_DIR ?? 'src').sort();
const args = ['--import', 'tsx', '--test', '--test-concurrency=1', ...process.argv.slice(2), ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
