/**
 * An evaluation worker thread (run by the pool in `pool.ts`): compiles the configuration and
 * the CEL policies once, then decides reviews. A task carries the raw request body, so the
 * JSON parsing, the decision and the serialisation of the answer, all of a size the client
 * controls, happen here and never on the server's event loop. Namespace objects arrive on a
 * BroadcastChannel from the main thread's watch (a full snapshot when the worker starts, then
 * each change).
 */
import { BroadcastChannel, workerData } from 'node:worker_threads';
import type { KubeObject } from '../core/index.js';
import { compileAdmissionConfig } from './config.js';
import { decideBody } from './inline.js';
import { loadCelPolicies } from './policies.js';
import {
  parseNamespaceMessage,
  type NamespaceMessage,
  type WorkerInit,
  type WorkerOutcome,
  type WorkerTask,
} from './pool-protocol.js';
import { BACKGROUND_NICE, lowerThreadPriority } from './thread-priority.js';

const init = workerData as WorkerInit;
// The main thread answers the probes and decides the small reviews: when a worker running a
// long review wants the same CPU, the main thread goes first (the review has its deadline).
lowerThreadPriority(BACKGROUND_NICE);

async function start(): Promise<(task: WorkerTask) => WorkerOutcome> {
  const live = new Map<string, KubeObject>();
  const channel = new BroadcastChannel(init.channel);
  let ready: () => void = () => undefined;
  const snapshot = new Promise<void>((resolve) => {
    ready = resolve;
  });
  channel.onmessage = (event: unknown) => {
    const message = parseNamespaceMessage((event as { data?: unknown }).data);
    if (!message) return;
    apply(live, message);
    if (message.type === 'snapshot') ready();
  };
  // Worker threads keep no process alive: the pool owns their lifetime.
  (channel as unknown as { unref?: () => void }).unref?.();
  channel.postMessage({ type: 'hello' } satisfies NamespaceMessage);

  const policies =
    init.config.policies.length > 0 ? await loadCelPolicies(init.config.policies, init.cwd) : undefined;
  const compiled = compileAdmissionConfig(init.config, {
    namespaces: (name) => live.get(name),
    ...(policies ? { policies } : {}),
  });
  if (!compiled.ok) throw new Error(`configuration is invalid: ${JSON.stringify(compiled.error)}`);
  const config = compiled.value;
  await snapshot;

  return (task: WorkerTask): WorkerOutcome => decideBody(task.body, config, task.phase);
}

function apply(live: Map<string, KubeObject>, message: NamespaceMessage): void {
  if (message.type === 'snapshot') {
    live.clear();
    for (const o of message.namespaces) live.set(o.metadata?.name ?? '', o);
  } else if (message.type === 'set') live.set(message.object.metadata?.name ?? '', message.object);
  else if (message.type === 'delete') live.delete(message.name);
}

export default start();
