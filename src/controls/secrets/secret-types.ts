/**
 * Controls on Secret objects themselves.
 *
 * - secrets/no-legacy-token-secret: fails for each Secret of type
 *   `kubernetes.io/service-account-token`: a token that never expires, replaced since
 *   Kubernetes 1.22 by projected, time-bound tokens (TokenRequest).
 * - secrets/opaque-credentials: fails for an `Opaque` (or untyped) Secret whose entry holds
 *   a kubeconfig (an `apiVersion: v1` / `kind: Config` document with `users`) or a
 *   service-account style JWT: these deserve their dedicated type or, better, no static copy.
 *   `data` values are base64-decoded; `stringData` values are read as they are.
 */
import { formatFieldPath, type Control, type Violation } from '../../core/index.js';
import { isRecord, mitre, nsa } from '../support.js';

export const noLegacyTokenSecret: Control = {
  id: 'secrets/no-legacy-token-secret',
  title: 'Service-account tokens must not be stored as long-lived Secrets',
  severity: 'medium',
  category: 'secrets',
  appliesTo: { kinds: ['Secret'] },
  rationale: 'A legacy token Secret never expires and works from anywhere until the Secret is deleted.',
  remediation:
    'Delete the Secret and let pods use projected service-account tokens (or kubectl create token for humans).',
  frameworks: [nsa('Pod security: protecting Pod service account tokens'), mitre('T1528')],
  check({ resource }) {
    if (resource.object['type'] !== 'kubernetes.io/service-account-token') return [];
    const sa = resource.object.metadata?.annotations?.['kubernetes.io/service-account.name'];
    return [
      {
        message: `Secret ${resource.ref.name} is a long-lived token${sa ? ` for service account "${sa}"` : ''}`,
        path: 'type',
      },
    ];
  },
};

const JWT = /^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function classify(text: string): string | undefined {
  if (/^[ \t]*kind:[ \t]*Config[ \t\r]*$/m.test(text) && /^[ \t]*users:/m.test(text)) return 'a kubeconfig';
  if (JWT.test(text.trim())) return 'a bearer token (JWT)';
  return undefined;
}

function decode(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

export const opaqueCredentials: Control = {
  id: 'secrets/opaque-credentials',
  title: 'Opaque Secrets must not carry kubeconfigs or bearer tokens',
  severity: 'medium',
  category: 'secrets',
  appliesTo: { kinds: ['Secret'] },
  rationale:
    'A kubeconfig or token copied into a Secret is a static cluster credential that outlives its owner and rotation.',
  remediation:
    'Use workload identity or projected service-account tokens; if a kubeconfig is unavoidable, keep it in an external secret store with rotation.',
  frameworks: [nsa('Network separation and hardening: secrets'), mitre('T1552.007')],
  check({ resource }) {
    const type = resource.object['type'];
    if (type !== undefined && type !== 'Opaque') return [];
    const out: Violation[] = [];
    for (const field of ['data', 'stringData'] as const) {
      const entries = resource.object[field];
      if (!isRecord(entries)) continue;
      for (const [key, value] of Object.entries(entries)) {
        if (typeof value !== 'string') continue;
        const kind = classify(field === 'data' ? decode(value) : value);
        if (kind) out.push({ message: `key ${key} holds ${kind}`, path: formatFieldPath([field, key]) });
      }
    }
    return out;
  },
};
