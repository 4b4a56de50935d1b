#!/usr/bin/env node
// Write the model card of a pretraining run: node scripts/model-card.mjs RUN_DIR WEIGHTS_FILE > weights/README.md
// Reads RUN_DIR/options.json and metrics.jsonl (what `usfm pretrain` wrote); the data description is fixed
// to the public sets in ../shared/data (edit for other data).
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';

const [run, weights] = process.argv.slice(2);
if (!run || !weights) {
  console.error('usage: node scripts/model-card.mjs RUN_DIR WEIGHTS_FILE');
  process.exit(2);
}
const o = JSON.parse(readFileSync(`${run}/options.json`, 'utf8'));
const rows = readFileSync(`${run}/metrics.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const images = rows.length * o.epochLength;
const steps = rows.length * Math.floor(o.epochLength / o.batchSize);
const mb = (statSync(weights).size / 2 ** 20).toFixed(1);
const f = (v) => v.toFixed(4);
console.log(`# ${basename(weights)}

A USFM **${o.model}** encoder (BEiT-style ViT, patch 16, ${o.imgSize}×${o.imgSize}) pretrained with this project's
spatial-frequency dual masked image modeling (\`usfm pretrain\`), stored as float16 safetensors (${mb} MiB) in the
official USFM checkpoint layout (shared relative position table, \`mask_token\`, final \`norm\`).
Load it with \`--weights ${weights}\` (finetune, embed, label-efficiency, demo).

## Data
Training splits only (validation and test splits were never read), sampled organ-balanced per source:
- HC18 fetal head, training split (617 images) — CC BY 4.0, van den Heuvel et al., PLoS ONE 2018, doi:10.1371/journal.pone.0200412
- BUSI breast, training split (414 images) — CC0 on its public mirror, Al-Dhabyani et al., Data in Brief 2020, doi:10.1016/j.dib.2019.104863
- HC18 test-set images without labels (335 images, \`Unlabeled/fetal_head\`) — CC BY 4.0 (as above)

## Training
\`usfm pretrain --data ${o.data.join(',')} --model ${o.model} --img-size ${o.imgSize} --epochs ${o.epochs} --epoch-length ${o.epochLength} --batch-size ${o.batchSize}\`
(lr ${o.lr} at batch 512, i.e. ${(o.lr * o.batchSize / 512).toExponential(2)} at batch ${o.batchSize}; AdamW wd ${o.weightDecay}; clip ${o.clipNorm};
drop-path ${o.dropPath}; warm-up ${o.warmupEpochs} epochs then cosine; balance ${o.balance}; seed ${o.seed}; objective defaults
${JSON.stringify(o.objective)} over DEFAULT_OBJECTIVE: 32 px units, mask ratio 0.6, noise fill, 13 band-stop rings at 224 with half removed,
centre disk 4 protected, branches spatial/frequency/both ⅓ each, λ = 1, log-amplitude L1).
${rows.length} epochs of ${o.epochLength} draws = ${images} images, ${steps} optimizer steps, on a 2-core CPU.

## Loss per epoch (L = L_spa + λ·L_freq)
| epoch | loss | L_spa | L_freq | lr |
|---|---|---|---|---|
${rows.map((r) => `| ${r.epoch} | ${f(r.loss)} | ${f(r.lSpa)} | ${f(r.lFreq)} | ${r.lr.toExponential(2)} |`).join('\n')}
`);
