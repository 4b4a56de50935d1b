#!/usr/bin/env node
// Sums an onnxruntime profile (the JSON that `usfm bench … --profile PREFIX` writes) by op type:
//   node bench/profile_ops.mjs PREFIX_<date>.json [--skip-runs 1] [--top 25]
// prints, per op type, milliseconds per run (median-free: total over the kept runs / their count),
// its share of the kernel time, and the node count. --skip-runs drops the first runs (warm-up).
import { readFileSync } from 'node:fs';

const usage = 'usage: node bench/profile_ops.mjs PROFILE.json [--skip-runs 1] [--top 25]';
const args = process.argv.slice(2);
const opts = { 'skip-runs': 1, top: 25 };
const files = [];
for (let i = 0; i < args.length; i++) {
  const name = args[i].startsWith('--') ? args[i].slice(2) : null;
  if (name === null) {
    files.push(args[i]);
    continue;
  }
  const v = Number(args[++i]);
  if (!(name in opts) || !Number.isInteger(v) || v < 0) {
    console.error(`--${name} ${args[i] ?? ''}: expected --skip-runs N or --top N (integers ≥ 0)\n${usage}`);
    process.exit(2);
  }
  opts[name] = v;
}
if (files.length !== 1) {
  console.error(usage);
  process.exit(2);
}
const file = files[0];
let events;
try {
  events = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
const skip = opts['skip-runs'];
const top = opts.top;
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
const kept = runs.slice(skip);
if (kept.length === 0) {
  console.error(`${file}: ${runs.length} runs, none left after --skip-runs ${skip}`);
  process.exit(1);
}
const inKept = (ts) => kept.some((r) => ts >= r.ts && ts <= r.ts + r.dur);
const byOp = new Map();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !inKept(e.ts)) continue;
  const op = e.args?.op_name ?? '?';
  const s = byOp.get(op) ?? { us: 0, nodes: new Set() };
  s.us += e.dur;
  s.nodes.add(e.name);
  byOp.set(op, s);
}
const total = [...byOp.values()].reduce((a, s) => a + s.us, 0);
const runMs = kept.reduce((a, r) => a + r.dur, 0) / kept.length / 1000;
console.log(`${kept.length} runs kept of ${runs.length}; model_run ${runMs.toFixed(1)} ms per run, kernels ${(total / kept.length / 1000).toFixed(1)} ms`);
for (const [op, s] of [...byOp].sort((a, b) => b[1].us - a[1].us).slice(0, top)) {
  console.log(`${op.padEnd(28)} ${(s.us / kept.length / 1000).toFixed(1).padStart(9)} ms ${((100 * s.us) / total).toFixed(1).padStart(5)} %  ${s.nodes.size} nodes`);
}
