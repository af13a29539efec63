/**
 * Log lines written during one turn of the event loop leave as one write at the end of the
 * turn. `admission serve` logs a line per decision; on Linux a write to a pipe (a container's
 * stdout) is synchronous, so a burst of reviews decided in one turn cost one system call each.
 * The buffer is bounded: past `maxBytes` it is written at once.
 */
export interface BatchedWriter {
  write(text: string): void;
  /** Writes what is buffered now (call before the process ends). */
  flush(): void;
}

export function batchedWriter(write: (text: string) => void, maxBytes = 64 * 1024): BatchedWriter {
  let parts: string[] = [];
  let bytes = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (parts.length === 0) return;
    const text = parts.length === 1 ? (parts[0] ?? '') : parts.join('');
    parts = [];
    bytes = 0;
    write(text);
  };
  return {
    write(text: string): void {
      parts.push(text);
      bytes += text.length;
      if (bytes >= maxBytes) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
