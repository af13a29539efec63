/**
 * A store writer for the durability test: records one small scan, prints `committed ID`, then
 * starts a large scan and prints `mid-scan` from inside its transaction and waits there to be
 * killed. Usage: node --import tsx store-writer.ts sqlite:FILE|postgres://…
 */
import { openStore, type StoreTarget } from '../../src/store/index.js';
import { testFinding, testScan } from '../../src/store/testing.js';

const arg = process.argv[2] ?? '';
const target: StoreTarget = arg.startsWith('sqlite:')
  ? { kind: 'sqlite', file: arg.slice('sqlite:'.length) }
  : { kind: 'postgres', url: arg };
const store = await openStore(target);
const first = await store.recordScan(testScan(0, [testFinding('a'), testFinding('b')]));
process.stdout.write(`committed ${first.id}\n`);
const many = Array.from({ length: 20_000 }, (_, i) => testFinding(`w${i}`));
await store.recordScan(testScan(1, many), {
  onProgress: () => {
    process.stdout.write('mid-scan\n');
    // Hold the transaction open until the test kills the process.
    return new Promise<void>(() => {
      setInterval(() => undefined, 1000);
    });
  },
});
process.stdout.write('finished\n');
