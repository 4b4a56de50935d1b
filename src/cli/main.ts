#!/usr/bin/env node
import { constants } from 'node:os';
import { bench, benchHelp } from './bench.js';
import { convert, convertHelp } from './convert.js';
import { demo, demoHelp } from './demo.js';
import { embed, embedHelp } from './embed.js';
import { report, UsageError } from './errors.js';
import { evalCommand, evalHelp } from './eval.js';
import { exportHelp, exportModel } from './export.js';
import { finetune, finetuneHelp } from './finetune.js';
import { info, infoHelp } from './info.js';
import { labelEfficiencyCommand, labelEfficiencyHelp } from './label_efficiency.js';
import type { Io } from './io.js';
import { processIo } from './io.js';
import { predict, predictHelp } from './predict.js';
import { pretrainCommand, pretrainHelp } from './pretrain.js';
import { takeStopSignal } from '../train/stop.js';

const COMMANDS: Readonly<Record<string, { run: (argv: readonly string[], io: Io) => Promise<void>; help: string }>> = {
  info: { run: info, help: infoHelp },
  convert: { run: convert, help: convertHelp },
  embed: { run: embed, help: embedHelp },
  export: { run: exportModel, help: exportHelp },
  finetune: { run: finetune, help: finetuneHelp },
  eval: { run: evalCommand, help: evalHelp },
  predict: { run: predict, help: predictHelp },
  pretrain: { run: pretrainCommand, help: pretrainHelp },
  demo: { run: demo, help: demoHelp },
  'label-efficiency': { run: labelEfficiencyCommand, help: labelEfficiencyHelp },
  bench: { run: bench, help: benchHelp },
};

const USAGE = `usfm — the USFM ultrasound foundation model in TypeScript

${Object.values(COMMANDS).map((c) => c.help).join('\n\n')}

Add --verbose to any command for stack traces.`;

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter((a) => a !== '--verbose');
  const [cmd, ...rest] = args;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(`${USAGE}\n`);
    return cmd ? 0 : 2;
  }
  const c = COMMANDS[cmd];
  try {
    if (!c) throw new UsageError(`unknown command '${cmd}' (try: ${Object.keys(COMMANDS).join(', ')})`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`${c.help}\n`);
      return 0;
    }
    takeStopSignal(); // a signal that stopped an earlier command in this process is not this one's
    await c.run(rest, io);
    // Stopped by Ctrl-C / SIGTERM with its state saved: not a success (a script must not go on as if it finished).
    const sig = takeStopSignal();
    return sig === null ? 0 : 128 + (constants.signals[sig] ?? 0);
  } catch (e) {
    return report(e, verbose, io);
  }
}
