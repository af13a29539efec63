import type { Result } from '../core/index.js';
import type { RequestAttributes, UserInfo } from './types.js';

/** One call read from an audit Event: who made it and what the authorizer was asked. */
export interface AuditCall {
  user: UserInfo;
  attrs: RequestAttributes;
  /** 1-based line of the event in its file. */
  line: number;
}

/** A line that could not be used, with why. */
export interface AuditIssue {
  line: number;
  message: string;
}

/** Calls and unusable lines of an audit log. */
export interface ParsedAuditLog {
  calls: AuditCall[];
  issues: AuditIssue[];
  /** Events skipped on purpose (other stages, denied or failed-authorization calls). */
  skipped: number;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * Reads one audit.k8s.io/v1 Event as the authorizer's question. The identity is the
 * impersonated user when there is one. Returns undefined for events that are not a
 * completed, authorized call.
 */
export function auditEventCall(event: unknown, line: number): Result<AuditCall | undefined, string> {
  if (typeof event !== 'object' || event === null) return { ok: false, error: 'not a JSON object' };
  const e = event as Record<string, unknown>;
  if (e.kind !== 'Event' || typeof e.apiVersion !== 'string' || !e.apiVersion.startsWith('audit.k8s.io/'))
    return {
      ok: false,
      error: `not an audit.k8s.io Event (kind ${str(e.kind) || '?'}, apiVersion ${str(e.apiVersion) || '?'})`,
    };
  const stage = str(e.stage);
  if (stage !== '' && stage !== 'ResponseComplete') return { ok: true, value: undefined };
  const annotations = (
    typeof e.annotations === 'object' && e.annotations !== null ? e.annotations : {}
  ) as Record<string, unknown>;
  if (annotations['authorization.k8s.io/decision'] === 'forbid') return { ok: true, value: undefined };
  const status = (
    typeof e.responseStatus === 'object' && e.responseStatus !== null ? e.responseStatus : {}
  ) as Record<string, unknown>;
  if (status.code === 401 || status.code === 403) return { ok: true, value: undefined };
  const rawUser =
    typeof e.impersonatedUser === 'object' && e.impersonatedUser !== null ? e.impersonatedUser : e.user;
  if (typeof rawUser !== 'object' || rawUser === null) return { ok: false, error: 'event has no user' };
  const u = rawUser as Record<string, unknown>;
  const user: UserInfo = {
    name: str(u.username),
    groups: Array.isArray(u.groups) ? u.groups.filter((g): g is string => typeof g === 'string') : [],
  };
  if (user.name === '') return { ok: false, error: 'event user has no username' };
  const verb = str(e.verb);
  if (verb === '') return { ok: false, error: 'event has no verb' };
  const ref = e.objectRef;
  if (typeof ref === 'object' && ref !== null) {
    const r = ref as Record<string, unknown>;
    if (str(r.resource) === '') return { ok: false, error: 'objectRef has no resource' };
    return {
      ok: true,
      value: {
        user,
        line,
        attrs: {
          resourceRequest: true,
          verb,
          apiGroup: str(r.apiGroup),
          resource: str(r.resource),
          subresource: str(r.subresource),
          namespace: str(r.namespace),
          name: str(r.name),
        },
      },
    };
  }
  const uri = str(e.requestURI);
  if (uri === '') return { ok: false, error: 'event has neither objectRef nor requestURI' };
  const path = uri.split('?')[0] ?? uri;
  return { ok: true, value: { user, line, attrs: { resourceRequest: false, verb, path } } };
}

/** Parses JSON lines of audit Events; bad lines become issues and the rest is still read. */
export function parseAuditLog(text: string): ParsedAuditLog {
  const out: ParsedAuditLog = { calls: [], issues: [], skipped: 0 };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const t = raw.trim();
    if (t === '') return;
    let json: unknown;
    try {
      json = JSON.parse(t);
    } catch (e) {
      out.issues.push({ line: i + 1, message: `not JSON: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    const r = auditEventCall(json, i + 1);
    if (!r.ok) out.issues.push({ line: i + 1, message: r.error });
    else if (r.value) out.calls.push(r.value);
    else out.skipped++;
  });
  return out;
}
