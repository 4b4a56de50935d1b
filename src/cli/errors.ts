import type { Io } from './io.js';

/** An error meant for the user: printed as one line, no stack trace. */
export class UsageError extends Error {}

/** Print an error as `usfm: message` (stack only with --verbose) and give the exit code. */
export function report(e: unknown, verbose: boolean, io: Io): number {
  const err = e instanceof Error ? e : new Error(String(e));
  const line = err.message.split('\n')[0] ?? String(err);
  io.err(`usfm: ${line}\n`);
  if (verbose && err.stack) io.err(`${err.stack}\n`);
  return err instanceof UsageError ? 2 : 1;
}
