import type { OutputStream } from './io.js';

/** A one-line progress indicator on a terminal; silent when the stream is not a TTY. */
export function progressReporter(
  stream: OutputStream,
  label: string,
): {
  update(done: number, total: number): void;
  done(): void;
} {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  return {
    update(done, total) {
      const now = Date.now();
      if (done !== total && now - last < 80) return;
      last = now;
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      stream.write(`\r${label} ${done}/${total} (${pct}%)`);
    },
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}
