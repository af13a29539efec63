// A worker thread for thread-priority.test.ts: lowers its own priority through the module
// under test (loaded through tsx, as worker-dev.js loads the evaluation worker) and reports
// what the kernel says of it.
import { getPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const m = await tsImport('./thread-priority.ts', import.meta.url);
const first = m.lowerThreadPriority(10);
const again = m.lowerThreadPriority(5);
const tid = m.currentThreadId();
parentPort?.postMessage({ first, again, tid, own: tid === undefined ? undefined : getPriority(tid) });
