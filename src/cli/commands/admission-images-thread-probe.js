// A scripted image-job thread for admission-images-thread.test.ts, speaking the supervisor's
// protocol: for each step of workerData.script not in workerData.done, reports its start, keeps
// its CPU busy for `spinMs` (Infinity: until terminated) and reports its end.
import { parentPort, workerData } from 'node:worker_threads';

const done = new Set(workerData.done.map(([ref]) => ref));
if (workerData.fail) parentPort.postMessage({ type: 'failed', message: workerData.fail });
else {
  parentPort.postMessage({ type: 'ready' });
  parentPort.on('message', (m) => {
    if (m.type === 'close') parentPort.close();
  });
  setImmediate(() => {
    for (const step of workerData.script) {
      if (done.has(step.ref)) continue;
      parentPort.postMessage({ type: 'start', ref: step.ref });
      const end = Date.now() + (step.spinMs ?? 0);
      while (Date.now() < end);
      parentPort.postMessage({ type: 'event', event: { ref: step.ref, outcome: 'scanned', message: 'ok' } });
      parentPort.postMessage({ type: 'finish', ref: step.ref });
    }
  });
}
