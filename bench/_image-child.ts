/**
 * Child process of bench/image.ts, so each measurement has its own peak RSS:
 * `scan REF OUT` runs the real `palisade image scan REF -o json=OUT` (registry flags from the
 * environment: PALISADE_BENCH_CA, PALISADE_BENCH_CACHE, PALISADE_VULN_DB, DOCKER_CONFIG);
 * `floor BLOB…` streams the blobs through gunzip and a tar parser, keeping nothing. Prints one
 * JSON line: seconds, exit code or entries, peak RSS in MiB.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { main } from '../src/cli/main.js';

const [mode, ...args] = process.argv.slice(2);
// The command's modules load before the clock starts: tsx compiles them on first import, which
// the built CLI does not do.
if (mode === 'scan') await import('../src/cli/commands/image.js');
const start = performance.now();
const result: Record<string, number> = {};
if (mode === 'scan') {
  const [ref, out] = args;
  result['code'] = await main([
    'image',
    'scan',
    ref ?? '',
    '--registry-ca',
    process.env.PALISADE_BENCH_CA ?? '',
    '--cache-dir',
    process.env.PALISADE_BENCH_CACHE ?? '',
    '-o',
    `json=${out ?? ''}`,
    '--fail-on',
    'none',
    '-q',
  ]);
} else if (mode === 'floor') {
  let entries = 0;
  for (const blob of args) {
    const extract = tar.extract();
    extract.on('entry', (_header, stream, next) => {
      entries++;
      stream.on('end', next);
      stream.resume();
    });
    await pipeline(createReadStream(blob), createGunzip(), extract);
  }
  result['entries'] = entries;
} else {
  throw new Error('usage: _image-child scan REF OUT | floor BLOB…');
}
result['seconds'] = (performance.now() - start) / 1000;
// VmHWM, not getrusage's maxRSS: Linux carries the parent's high-water mark across fork and exec.
const hwm = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
result['peakRssMiB'] = Number(hwm?.[1] ?? NaN) / 1024;
console.log(JSON.stringify(result));
