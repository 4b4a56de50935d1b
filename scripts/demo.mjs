#!/usr/bin/env node
// The README's main job: embed the bundled sample ultrasound images and print their cosine similarities.
// Weights: $USFM_WEIGHTS (e.g. the official USFM_latest.pth) if set, else a random-init ViT-T (pipeline check only).
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../dist/cli/main.js';
import { readSafetensors } from '../dist/checkpoint/safetensors.js';

const weights = process.env.USFM_WEIGHTS ?? 'none';
const images = readdirSync('samples').filter((f) => f.endsWith('.png')).sort().map((f) => join('samples', f));
mkdirSync('out', { recursive: true });
const out = 'out/demo-embeddings.safetensors';
const rc = await main(['embed', '--weights', weights, ...(weights === 'none' ? ['--model', 'vit-t'] : []), '--out', out, ...images]);
if (rc !== 0) process.exit(rc);
const { tensors } = await readSafetensors(out);
const pooled = tensors.get('pooled');
const [b, c] = pooled.shape;
const row = (i) => pooled.data.subarray(i * c, (i + 1) * c);
const cos = (x, y) => {
  let d = 0, nx = 0, ny = 0;
  for (let k = 0; k < c; k++) { d += x[k] * y[k]; nx += x[k] ** 2; ny += y[k] ** 2; }
  return d / Math.sqrt(nx * ny);
};
const names = images.map((p) => p.replace('samples/', '').replace('.png', ''));
console.log(`\ncosine similarity of pooled embeddings (${weights === 'none' ? 'random ViT-T: set USFM_WEIGHTS=/path/to/USFM_latest.pth for real features' : weights}):`);
console.log(''.padEnd(16) + names.map((n) => n.padStart(16)).join(''));
for (let i = 0; i < b; i++) console.log(names[i].padEnd(16) + names.map((_, j) => cos(row(i), row(j)).toFixed(3).padStart(16)).join(''));
