/**
 * Exceptions: accepted risks that suppress findings without hiding them.
 *
 * An exception names a control (glob), a resource selector (kind, namespace, name as globs;
 * labels as exact values), a reason, an owner and an expiry date. Matching findings stay in
 * every report, marked `suppressed` with the reason. An expired exception stops applying and
 * is reported; an exception that matches nothing is reported as unused. Annotations
 * `palisade.dev/exception.<controlId with / as .>: "<reason>"` on an object suppress its
 * findings only when the caller allows it, because whoever can edit a workload could
 * otherwise exempt it from review.
 */
import { z } from 'zod';
import type { Finding, Resource, ResourceRef } from '../core/index.js';

/** True for a `YYYY-MM-DD` string naming a real day (no 2026-02-30). */
function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const selectorSchema = z
  .object({
    kind: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const exceptionSchema = z
  .object({
    controlId: z.string().min(1),
    resources: selectorSchema.optional(),
    reason: z.string().min(1, 'a reason is required'),
    owner: z.string().min(1, 'an owner is required'),
    expires: z.string().refine(isCalendarDate, 'expires must be a date YYYY-MM-DD').optional(),
  })
  .strict();

/** The exceptions file: `apiVersion: palisade.dev/v1`, `kind: ExceptionList`. */
export const exceptionListSchema = z
  .object({
    apiVersion: z.literal('palisade.dev/v1'),
    kind: z.literal('ExceptionList'),
    metadata: z.record(z.string(), z.unknown()).optional(),
    exceptions: z.array(exceptionSchema),
  })
  .strict();

/** One accepted risk. */
export type ExceptionRule = z.infer<typeof exceptionSchema>;

/** A problem in an exceptions file, with the field path at fault. */
export interface ExceptionFileIssue {
  path: string;
  message: string;
}

/** Validates a parsed exceptions document; every problem is returned with its path. */
export function parseExceptionList(doc: unknown): { rules: ExceptionRule[]; issues: ExceptionFileIssue[] } {
  const parsed = exceptionListSchema.safeParse(doc);
  if (parsed.success) return { rules: parsed.data.exceptions, issues: [] };
  return {
    rules: [],
    issues: parsed.error.issues.map((i) => ({
      path: i.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, ''),
      message: i.message,
    })),
  };
}

/** What happened to the exceptions during one run. */
export interface ExceptionsOutcome {
  findings: Finding[];
  /** Exceptions past their expiry date: they no longer apply. */
  expired: ExceptionRule[];
  /** Exceptions that matched no finding. */
  unused: ExceptionRule[];
  /** Annotation exceptions present but not honoured, with the object that carries them. */
  ignoredAnnotations: { resource: ResourceRef; controlId: string }[];
}

/** Options of `applyExceptions`. */
export interface ApplyExceptionsOptions {
  /** The date the run is for, `YYYY-MM-DD`: an exception expiring before it no longer applies. */
  today: string;
  /** Honour `palisade.dev/exception.*` annotations on objects. */
  allowAnnotations: boolean;
}

const ANNOTATION_PREFIX = 'palisade.dev/exception.';

/** The annotation key that excepts a control on an object. */
export function exceptionAnnotationKey(controlId: string): string {
  return ANNOTATION_PREFIX + controlId.replaceAll('/', '.');
}

/** Marks findings covered by an exception as suppressed and reports expired and unused exceptions. */
export function applyExceptions(
  findings: readonly Finding[],
  resources: readonly Resource[],
  rules: readonly ExceptionRule[],
  options: ApplyExceptionsOptions,
): ExceptionsOutcome {
  const expired = rules.filter((r) => r.expires !== undefined && r.expires < options.today);
  const active = rules.filter((r) => !expired.includes(r));
  const compiled = active.map((rule) => ({ rule, match: compileRule(rule), used: false }));
  const byRef = new Map<string, Resource>();
  for (const r of resources) byRef.set(refKey(r.ref), r);
  const ignored = new Map<string, { resource: ResourceRef; controlId: string }>();

  const out = findings.map((f) => {
    if (f.suppressed) return f;
    const resource = byRef.get(refKey(f.resource));
    const labels = resource?.object.metadata?.labels ?? {};
    // Every matching exception counts as used (none is reported unused because an earlier
    // one covered the same finding); the first in file order gives the reason.
    let first: ExceptionRule | undefined;
    for (const c of compiled) {
      if (c.match(f.controlId, f.resource, labels)) {
        c.used = true;
        first ??= c.rule;
      }
    }
    if (first) {
      const suppressed: NonNullable<Finding['suppressed']> = {
        kind: 'exception',
        reason: first.reason,
        owner: first.owner,
      };
      if (first.expires !== undefined) suppressed.expires = first.expires;
      return { ...f, suppressed };
    }
    const reason = resource?.object.metadata?.annotations?.[exceptionAnnotationKey(f.controlId)];
    if (typeof reason === 'string') {
      if (options.allowAnnotations) return { ...f, suppressed: { kind: 'annotation' as const, reason } };
      ignored.set(`${refKey(f.resource)}\u0000${f.controlId}`, {
        resource: f.resource,
        controlId: f.controlId,
      });
    }
    return f;
  });
  return {
    findings: out,
    expired,
    unused: compiled.filter((c) => !c.used).map((c) => c.rule),
    ignoredAnnotations: [...ignored.values()],
  };
}

function refKey(ref: ResourceRef): string {
  return `${ref.kind}\u0000${ref.namespace ?? ''}\u0000${ref.name}`;
}

function compileRule(
  rule: ExceptionRule,
): (controlId: string, ref: ResourceRef, labels: Record<string, string>) => boolean {
  const control = glob(rule.controlId);
  const sel = rule.resources ?? {};
  const kind = sel.kind !== undefined ? glob(sel.kind) : undefined;
  const namespace = sel.namespace !== undefined ? glob(sel.namespace) : undefined;
  const name = sel.name !== undefined ? glob(sel.name) : undefined;
  const wantLabels = Object.entries(sel.labels ?? {});
  return (controlId, ref, labels) =>
    control.test(controlId) &&
    (kind === undefined || kind.test(ref.kind)) &&
    (namespace === undefined || namespace.test(ref.namespace ?? '')) &&
    (name === undefined || name.test(ref.name)) &&
    wantLabels.every(([k, v]) => labels[k] === v);
}

/** A compiled glob: whether a whole string matches it. */
export interface Glob {
  test(s: string): boolean;
}

function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

/**
 * Compiles a glob (`*` any run of characters, `?` one character, neither a line break) to a
 * matcher of the whole string. Matching is greedy with one backtrack point, O(pattern ×
 * string) at worst: the regex it replaces, `^a.*b.*c$`, took polynomial time in the length of
 * an image reference that a manifest controls.
 */
export function glob(pattern: string): Glob {
  return {
    test(s: string): boolean {
      let p = 0;
      let i = 0;
      let star = -1;
      let resume = 0;
      while (i < s.length) {
        const pc = pattern.charAt(p);
        if (
          p < pattern.length &&
          pc !== '*' &&
          (pc === '?' ? !isLineTerminator(s.charCodeAt(i)) : pc === s.charAt(i))
        ) {
          p++;
          i++;
        } else if (p < pattern.length && pc === '*') {
          star = p++;
          resume = i;
        } else if (star >= 0 && !isLineTerminator(s.charCodeAt(resume))) {
          p = star + 1;
          i = ++resume;
        } else return false;
      }
      while (p < pattern.length && pattern.charAt(p) === '*') p++;
      return p === pattern.length;
    },
  };
}
