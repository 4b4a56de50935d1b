#!/usr/bin/env node
// The README's main job: `usfm demo` — fine-tune a fetal-head segmentation model on the bundled HC18
// subset, evaluate it on the bundled test images, and write overlays and a summary to demo-out/.
// Extra arguments are passed on (e.g. `npm run demo -- --epochs 5`, `--weights USFM_latest.pth`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(['demo', ...process.argv.slice(2)]);
