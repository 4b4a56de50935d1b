import type { Io } from './io.js';
import { processIo } from './io.js';

/**
 * Progress lines (they end in 'eta N s') redraw one terminal line on a TTY; elsewhere (logs, CI) the
 * first of each epoch and then at most one every 10 s is kept. Everything else is printed as is.
 */
export function progressLog(io: Io): (line: string) => void {
  const tty = io === processIo && process.stderr.isTTY === true;
  let last = 0;
  let epoch = '';
  let open = false;
  return (line) => {
    if (/ eta \d+ s$/.test(line)) {
      if (tty) {
        io.err(`\r${line}\x1b[K`);
        open = true;
      } else if (Date.now() - last >= 10_000 || !line.startsWith(epoch)) {
        last = Date.now();
        epoch = line.split(' ', 2).join(' ');
        io.err(`${line}\n`);
      }
      return;
    }
    io.err(`${open ? '\r\x1b[K' : ''}${line}\n`);
    open = false;
  };
}
