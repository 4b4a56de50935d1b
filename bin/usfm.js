#!/usr/bin/env node
// The `usfm` command. Runs the compiled build (npm ci builds it via the `prepare` script).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
