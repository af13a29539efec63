/**
 * Child process of bench/scan-large.ts, so each side has its own peak RSS:
 * `scan FILE OUT` runs the real `palisade scan FILE -o json=OUT`; `parse FILE` parses the same
 * bytes with plain js-yaml, a chunk of whole documents at a time, keeping nothing; `idle`
 * only loads the same modules (the fixed base of RSS). Prints one JSON line: seconds,
 * documents (parse) or exit code (scan), peak RSS in MiB.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import jsyaml from 'js-yaml';
import { main } from '../src/cli/main.js';

const [mode, file, out] = process.argv.slice(2);
if (file === undefined && mode !== 'idle')
  throw new Error('usage: _scan-large-child scan FILE OUT | parse FILE | idle');

const start = performance.now();
const result: Record<string, number> = {};
if (mode === 'idle' || file === undefined) {
  // The scan command's modules, imported lazily by the CLI.
  await import('../src/cli/commands/scan.js');
} else if (mode === 'scan') {
  result['code'] = await main(['scan', file, '-o', `json=${out ?? ''}`, '--fail-on', 'none', '-q']);
} else {
  // Whole documents only: everything up to the last `---` line of what has been read.
  let documents = 0;
  const fd = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(1 << 20);
  let rest = '';
  const load = (text: string): void => {
    jsyaml.loadAll(text, (d) => {
      if (d) documents++;
    });
  };
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    // The generated stream is ASCII: a chunk never ends inside a character.
    const text = rest + chunk.toString('latin1', 0, n);
    const cut = text.lastIndexOf('\n---\n');
    if (cut < 0) {
      rest = text;
      continue;
    }
    load(text.slice(0, cut + 1));
    rest = text.slice(cut + 5);
  }
  closeSync(fd);
  load(rest);
  result['documents'] = documents;
}
result['seconds'] = (performance.now() - start) / 1000;
result['peakRssMiB'] = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify(result)}\n`);
