/**
 * The thread of the webhook's image background job (supervised by admission-images-thread.ts):
 * runs the job at a lower priority than the main thread and reports what it starts, finishes
 * and sees. A `close` message stops it after the image in progress.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BACKGROUND_NICE, lowerThreadPriority } from '../../admission/thread-priority.js';
import type { ImageJobMessage } from './admission-images-thread.js';
import { startImageJob, type ImageJobInit } from './admission-images.js';

lowerThreadPriority(BACKGROUND_NICE);
const post = (m: ImageJobMessage): void => {
  parentPort?.postMessage(m);
};

try {
  const running = await startImageJob(workerData as ImageJobInit, {
    onEvent: (event) => {
      post({ type: 'event', event });
    },
    onStart: (ref) => {
      post({ type: 'start', ref });
    },
    onFinish: (ref) => {
      post({ type: 'finish', ref });
    },
  });
  // The port keeps the thread alive (the job's channel does not) until it is told to close.
  parentPort?.on('message', (m: unknown) => {
    if ((m as { type?: unknown } | null)?.type !== 'close') return;
    void running.close().finally(() => {
      parentPort?.close();
    });
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
}
