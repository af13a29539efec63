/**
 * What the server's main thread and its evaluation workers exchange: the worker's start-up
 * data, one task per review (the raw body), one outcome per task, and the namespace messages
 * of the BroadcastChannel that keeps every worker's copy of the Namespace objects current.
 */
import type { KubeObject } from '../core/index.js';
import type { AdmissionConfig } from './config.js';
import type { DecisionRecord } from './decide.js';
import type { ReviewProblem } from './parse.js';
import type { PolicyPhase } from './ports.js';

/** `workerData` of an evaluation worker. */
export interface WorkerInit {
  /** The validated configuration file; the worker compiles it (and loads its policies) itself. */
  config: AdmissionConfig;
  /** Relative policy paths resolve from here. */
  cwd: string;
  /** Name of the BroadcastChannel carrying namespace messages. */
  channel: string;
}

/** One review to decide. */
export interface WorkerTask {
  body: Uint8Array;
  phase: PolicyPhase;
}

/** What a worker made of one review. */
export type WorkerOutcome =
  | { kind: 'answer'; review: string; record: DecisionRecord }
  | { kind: 'bad'; problems: ReviewProblem[]; uid?: string }
  | { kind: 'invalid-json'; message: string };

/** Namespace traffic: a worker says hello when it starts; the main thread answers with a snapshot. */
export type NamespaceMessage =
  | { type: 'hello' }
  | { type: 'snapshot'; namespaces: KubeObject[] }
  | { type: 'set'; object: KubeObject }
  | { type: 'delete'; name: string };

/** Reads a channel message; anything else is ignored. */
export function parseNamespaceMessage(data: unknown): NamespaceMessage | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'hello':
      return { type: 'hello' };
    case 'snapshot':
      return Array.isArray(m.namespaces)
        ? { type: 'snapshot', namespaces: m.namespaces as KubeObject[] }
        : undefined;
    case 'set':
      return m.object !== null && typeof m.object === 'object'
        ? { type: 'set', object: m.object as KubeObject }
        : undefined;
    case 'delete':
      return typeof m.name === 'string' ? { type: 'delete', name: m.name } : undefined;
    default:
      return undefined;
  }
}
