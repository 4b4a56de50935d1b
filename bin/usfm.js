#!/usr/bin/env node
// The `usfm` command. Runs the compiled build (npm ci builds it via the `prepare` script).
//
// On Linux with glibc it first re-executes itself once with two malloc tunables. Every training step
// receives its gradients from onnxruntime as fresh buffers (hundreds of MB for ViT-B); glibc hands
// such memory back to the kernel when it is freed and takes it again, page by page, on the next step.
// Faulting fresh pages costs ~20 µs per 4 KiB page on some VMs (~4 s per GB), so the step pays it
// every time. Keeping freed memory in the heap (no trimming) and serving buffers up to 32 MB from
// it makes them reusable. Set USFM_MALLOC_TUNING=0 (or either variable yourself) to opt out.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const TUNABLES = { MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '68719476736' };

function wantsReexec() {
  if (process.platform !== 'linux' || process.env.USFM_MALLOC_TUNING === '0') return false;
  // A debugger port given to this process could not be bound again by the child.
  if (process.execArgv.some((a) => a.startsWith('--inspect'))) return false;
  if (Object.keys(TUNABLES).some((k) => process.env[k] !== undefined)) return false;
  const header = process.report?.getReport?.().header;
  return Boolean(header && header.glibcVersionRuntime);
}

if (wantsReexec()) {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...TUNABLES },
  });
  // Signals sent to this pid alone (kill, a supervisor) are passed on. Ctrl-C reaches both processes
  // through the terminal, so the child sees SIGINT twice; training treats a repeat as the same request.
  // (A SIGKILL of this process cannot be passed on: the child then runs on by itself.)
  const forward = (sig) => () => child.kill(sig);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, forward(sig));
  let started = false;
  child.on('spawn', () => {
    started = true;
  });
  child.on('error', (e) => {
    if (started) return; // e.g. a failed kill() of an exiting child: its 'exit' still decides
    console.error(`usfm: cannot start ${process.execPath}: ${e.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal; where that does not kill us (PID 1 in a container), exit as a shell would.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    process.exit(code ?? 1);
  });
} else {
  // Denormal floats as zero in every onnxruntime session (and in this thread's JavaScript arithmetic): late in
  // training they make x86 take a slow path on each step that meets one (2x slower steps measured here; see
  // flushDenormals in src/runtime/node.ts). USFM_FLUSH_DENORMALS=0 keeps IEEE denormals.
  if (process.env.USFM_FLUSH_DENORMALS !== '0') (await import('../dist/runtime/node.js')).flushDenormals();
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
}
