/**
 * "Who changed it" for drift (pure): the last successful write (create, update, patch,
 * delete) to each object a drift's findings name, read from Kubernetes audit events
 * (audit.k8s.io/v1, one JSON object per line as the log backend writes them). Only the objects
 * asked for are kept, so memory grows with the drift, not with the log.
 */
import type { DriftFinding } from './drift.js';

/** The last write to one object. */
export interface ChangedBy {
  user: string;
  /** ISO 8601 time of the write (the event's stageTimestamp). */
  time: string;
  verb: string;
}

const WRITES = new Set(['create', 'update', 'patch', 'delete']);

/** The resource (plural) a kind is served as, by the API's naming rules for built-in kinds. */
export function resourceOfKind(kind: string): string {
  const k = kind.toLowerCase();
  if (k.endsWith('y') && !/[aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}

function keyOf(resource: string, namespace: string, name: string): string {
  return `${resource}\u0000${namespace}\u0000${name}`;
}

/** The key of the object a drift finding is about, as audit events name it. */
function findingKey(f: Pick<DriftFinding, 'kind' | 'namespace' | 'name'>): string {
  // A Namespace object's finding carries its own name as namespace; the object is cluster-scoped.
  if (f.kind === 'Namespace') return keyOf('namespaces', '', f.name);
  return keyOf(resourceOfKind(f.kind), f.namespace, f.name);
}

/** Collects the last write to each object of `findings` from audit event lines. */
export class LastWriters {
  private readonly wanted = new Set<string>();
  private readonly found = new Map<string, ChangedBy>();

  constructor(findings: readonly Pick<DriftFinding, 'kind' | 'namespace' | 'name'>[]) {
    for (const f of findings) this.wanted.add(findingKey(f));
  }

  /** Reads one line of the log; malformed lines and other events are skipped. */
  add(line: string): void {
    if (line.length === 0 || line.charCodeAt(0) !== 123 /* { */) return;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    if (e === null || typeof e !== 'object') return;
    const ev = e as {
      stage?: unknown;
      verb?: unknown;
      objectRef?: { resource?: unknown; namespace?: unknown; name?: unknown; subresource?: unknown };
      user?: { username?: unknown };
      impersonatedUser?: { username?: unknown };
      responseStatus?: { code?: unknown };
      stageTimestamp?: unknown;
    };
    if (ev.stage !== 'ResponseComplete' || typeof ev.verb !== 'string' || !WRITES.has(ev.verb)) return;
    const ref = ev.objectRef;
    if (!ref || typeof ref.resource !== 'string' || typeof ref.name !== 'string' || ref.subresource) return;
    const code = ev.responseStatus?.code;
    if (typeof code === 'number' && code >= 400) return;
    const key = keyOf(ref.resource, typeof ref.namespace === 'string' ? ref.namespace : '', ref.name);
    if (!this.wanted.has(key)) return;
    const time = typeof ev.stageTimestamp === 'string' ? ev.stageTimestamp : '';
    const previous = this.found.get(key);
    if (previous && previous.time > time) return;
    const user = typeof ev.user?.username === 'string' ? ev.user.username : 'unknown';
    const as = ev.impersonatedUser?.username;
    this.found.set(key, {
      user: typeof as === 'string' ? `${user} as ${as}` : user,
      time,
      verb: ev.verb,
    });
  }

  /** The last write to the object of a finding, if the log had one. */
  of(f: Pick<DriftFinding, 'kind' | 'namespace' | 'name'>): ChangedBy | undefined {
    return this.found.get(findingKey(f));
  }
}
