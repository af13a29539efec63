import { hash } from 'node:crypto';
import type { Finding, ResourceRef } from '../core/index.js';

/** The API group of an apiVersion (`apps/v1` → `apps`, `v1` → `''`): versions change, identity does not. */
function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The namespace a finding belongs to for history and queries: a Namespace object belongs to
 * itself (its missing default-deny policy is that namespace's problem), cluster-scoped objects
 * to `''`.
 */
export function findingNamespace(ref: ResourceRef): string {
  if (ref.kind === 'Namespace' && apiGroup(ref.apiVersion) === '') return ref.name;
  return ref.namespace ?? '';
}

/**
 * A finding's identity across scans: control, object (group, kind, namespace, name) and field
 * path. The message, severity, file position and API version may change between scans without
 * making it a new finding.
 */
export function findingFingerprint(f: Pick<Finding, 'controlId' | 'resource' | 'fieldPath'>): string {
  const r = f.resource;
  const key = [f.controlId, apiGroup(r.apiVersion), r.kind, r.namespace ?? '', r.name, f.fieldPath ?? ''];
  return hash('sha256', key.join('\u0000'), 'hex').slice(0, 32);
}
