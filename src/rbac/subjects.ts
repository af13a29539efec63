import type { Result } from '../core/index.js';
import { serviceAccountUsername } from './authorize.js';
import type { RbacSubject, UserInfo } from './types.js';

/** The user the API server gives to requests without credentials. */
export const ANONYMOUS_USER = 'system:anonymous';

const SA_PREFIX = 'system:serviceaccount:';

/**
 * Parses a subject as the CLI accepts it: `User:NAME`, `Group:NAME`, `ServiceAccount:NS:NAME`
 * (also `sa:NS:NAME` and `NS/NAME` after `ServiceAccount:`), a ServiceAccount username
 * `system:serviceaccount:NS:NAME`, or a bare name (a User).
 */
export function parseSubject(text: string): Result<RbacSubject, string> {
  const t = text.trim();
  if (t === '') return { ok: false, error: 'subject is empty' };
  if (t.startsWith(SA_PREFIX)) {
    const rest = t.slice(SA_PREFIX.length);
    const i = rest.indexOf(':');
    if (i <= 0 || i === rest.length - 1)
      return { ok: false, error: `"${text}" is not system:serviceaccount:NAMESPACE:NAME` };
    return {
      ok: true,
      value: { kind: 'ServiceAccount', namespace: rest.slice(0, i), name: rest.slice(i + 1) },
    };
  }
  const m = /^(user|group|serviceaccount|sa)[:=](.+)$/i.exec(t);
  if (!m) return { ok: true, value: { kind: 'User', name: t } };
  const kind = (m[1] ?? '').toLowerCase();
  const rest = m[2] ?? '';
  if (kind === 'user') return { ok: true, value: { kind: 'User', name: rest } };
  if (kind === 'group') return { ok: true, value: { kind: 'Group', name: rest } };
  const parts = rest.split(/[:/]/);
  if (parts.length !== 2 || !parts[0] || !parts[1])
    return { ok: false, error: `"${text}" must be ServiceAccount:NAMESPACE:NAME` };
  return { ok: true, value: { kind: 'ServiceAccount', namespace: parts[0], name: parts[1] } };
}

/**
 * The identity an authenticated subject has at the authorizer, with the implicit groups
 * the authenticators add: every authenticated user is in `system:authenticated`; a
 * ServiceAccount also in `system:serviceaccounts` and `system:serviceaccounts:NS`;
 * `system:anonymous` is in `system:unauthenticated` only. A Group subject is a member with
 * no user name of its own.
 */
export function identityOf(subject: RbacSubject, extraGroups: readonly string[] = []): UserInfo {
  const groups: string[] = [];
  let name: string;
  if (subject.kind === 'ServiceAccount') {
    const ns = subject.namespace ?? 'default';
    name = serviceAccountUsername(ns, subject.name);
    groups.push('system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated');
  } else if (subject.kind === 'Group') {
    name = '';
    groups.push(subject.name);
  } else {
    name = subject.name;
    const sa = parseSubject(subject.name);
    if (sa.ok && sa.value.kind === 'ServiceAccount') return identityOf(sa.value, extraGroups);
    groups.push(subject.name === ANONYMOUS_USER ? 'system:unauthenticated' : 'system:authenticated');
  }
  for (const g of extraGroups) if (!groups.includes(g)) groups.push(g);
  return { name, groups };
}

/** Formats a subject as `User:alice`, `Group:dev`, `ServiceAccount:ns:name`. */
export function formatSubject(s: RbacSubject): string {
  return s.kind === 'ServiceAccount'
    ? `ServiceAccount:${s.namespace ?? ''}:${s.name}`
    : `${s.kind}:${s.name}`;
}
