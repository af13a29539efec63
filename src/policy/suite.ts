/**
 * `palisade policy test`: the PolicyTest suite format and its pure runner. A suite names
 * the files holding its policies (plus bindings and params) and lists cases: an object (or
 * an old object, operation, user, namespace) and the expected outcome. The CLI reads the
 * files; this module only validates suites and evaluates cases.
 */
import { z } from 'zod';
import type { KubeObject, Resource } from '../core/index.js';
import type { AuthorizerFn } from './cel/k8s-lib.js';
import { compilePolicies, type PolicyError } from './compile.js';
import { evaluateRequest, type RequestEvaluation } from './evaluate.js';
import { createAttributes } from './scan.js';
import type { Operation, RequestAttributes, UserInfo } from './types.js';

const kubeObject = z.custom<KubeObject>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { apiVersion?: unknown }).apiVersion === 'string' &&
    typeof (v as { kind?: unknown }).kind === 'string',
  'must be a Kubernetes object with apiVersion and kind',
);

const caseSchema = z
  .object({
    name: z.string().min(1),
    object: kubeObject.nullable().optional(),
    oldObject: kubeObject.nullable().optional(),
    operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']).optional(),
    subResource: z.string().optional(),
    userInfo: z
      .object({
        username: z.string().optional(),
        uid: z.string().optional(),
        groups: z.array(z.string()).optional(),
        extra: z.record(z.string(), z.array(z.string())).optional(),
      })
      .strict()
      .optional(),
    namespace: z.string().optional(),
    expect: z.enum(['pass', 'fail', 'warn', 'audit', 'error']),
    /** Exact message of one decision (fail/warn/audit). */
    message: z.string().optional(),
    /** Substring of one decision's message. */
    messageContains: z.string().optional(),
    /** Which policy must produce the decision. */
    policy: z.string().optional(),
    auditAnnotations: z.record(z.string(), z.string()).optional(),
    /** The object expected after the mutating policies ran. */
    mutated: kubeObject.optional(),
  })
  .strict();

/** A PolicyTest suite file (`apiVersion: palisade.dev/v1alpha1`, `kind: PolicyTest`). */
export const policyTestSchema = z
  .object({
    apiVersion: z.literal('palisade.dev/v1alpha1'),
    kind: z.literal('PolicyTest'),
    metadata: z.object({ name: z.string().min(1) }).loose(),
    /** Files (relative to the suite) with policies, bindings and params. */
    policies: z.array(z.string().min(1)).min(1),
    /** Namespace objects, for namespaceObject and namespaceSelector. */
    namespaces: z.array(kubeObject).optional(),
    /** Extra param objects. */
    params: z.array(kubeObject).optional(),
    /** Roles, ClusterRoles and their bindings: what the policies' `authorizer` checks are answered from. */
    rbac: z.array(kubeObject).optional(),
    /** Apply Pod policies to workload pod templates, as scans do (default true). */
    autogen: z.boolean().optional(),
    cases: z.array(caseSchema).min(1),
  })
  .strict();

export type PolicyTestSuite = z.infer<typeof policyTestSchema>;
export type PolicyTestCase = z.infer<typeof caseSchema>;

/** The outcome of one case. */
export interface CaseResult {
  suite: string;
  case: string;
  passed: boolean;
  /** Why it failed (absent when passed). */
  reason?: string;
}

/** Validates a parsed suite document; the error lists every problem with its path. */
export function parsePolicyTest(
  doc: unknown,
): { ok: true; value: PolicyTestSuite } | { ok: false; error: string } {
  const r = policyTestSchema.safeParse(doc);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    error: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
  };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      deepEqual(ka, kb) &&
      ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

function describe(e: RequestEvaluation): string {
  const parts = e.decisions.map((d) => `${d.action} by ${d.policy}: ${d.message}`);
  for (const x of e.errors) parts.push(`error in ${x.policy} ${x.path}: ${x.message}`);
  return parts.length === 0 ? 'no decisions' : parts.join('; ');
}

/** Checks one evaluation against a case's expectation; returns why it does not match. */
export function judgeCase(c: PolicyTestCase, e: RequestEvaluation): string | undefined {
  const action = { fail: 'Deny', warn: 'Warn', audit: 'Audit' } as const;
  const relevant = e.decisions.filter((d) => c.policy === undefined || d.policy === c.policy);
  switch (c.expect) {
    case 'pass':
      if (relevant.length > 0 || e.errors.some((x) => c.policy === undefined || x.policy === c.policy))
        return `expected pass, got ${describe(e)}`;
      break;
    case 'error':
      if (!e.errors.some((x) => c.policy === undefined || x.policy === c.policy))
        return `expected an evaluation error, got ${describe(e)}`;
      break;
    default: {
      const want = action[c.expect];
      const ds = relevant.filter((d) => d.action === want);
      if (ds.length === 0) return `expected ${c.expect}, got ${describe(e)}`;
      if (c.message !== undefined && !ds.some((d) => d.message === c.message))
        return `expected message ${JSON.stringify(c.message)}, got ${ds.map((d) => JSON.stringify(d.message)).join(', ')}`;
      if (c.messageContains !== undefined && !ds.some((d) => d.message.includes(c.messageContains ?? '')))
        return `expected a message containing ${JSON.stringify(c.messageContains)}, got ${ds.map((d) => JSON.stringify(d.message)).join(', ')}`;
    }
  }
  for (const [k, v] of Object.entries(c.auditAnnotations ?? {}))
    if (e.auditAnnotations[k] !== v)
      return `expected audit annotation ${k}=${JSON.stringify(v)}, got ${JSON.stringify(e.auditAnnotations[k] ?? null)}`;
  if (c.mutated !== undefined) {
    const got = e.mutatedObject ?? c.object;
    if (!deepEqual(got, c.mutated)) return `mutated object differs: got ${JSON.stringify(got)}`;
  }
  return undefined;
}

function attributesOf(suite: PolicyTestSuite, c: PolicyTestCase): RequestAttributes {
  const obj = c.object ?? c.oldObject ?? null;
  if (!obj) throw new Error('a case needs object or oldObject');
  const ns = c.namespace ?? obj.metadata?.namespace;
  const nsObj = ns ? ((suite.namespaces ?? []).find((n) => n.metadata?.name === ns) ?? null) : null;
  const base = createAttributes(obj, nsObj);
  const operation: Operation =
    c.operation ??
    (c.object === undefined || c.object === null ? 'DELETE' : c.oldObject ? 'UPDATE' : 'CREATE');
  const attrs: RequestAttributes = {
    ...base,
    operation,
    object: c.object ?? null,
    oldObject: c.oldObject ?? null,
    subResource: c.subResource ?? '',
    dryRun: false,
  };
  if (ns) attrs.namespace = ns;
  if (c.userInfo) attrs.userInfo = c.userInfo as UserInfo;
  return attrs;
}

/** Runs every case of a suite against the policies loaded from its files. */
export function runPolicyTest(
  suite: PolicyTestSuite,
  policyResources: readonly Resource[],
  options: {
    /** Answers `authorizer` checks from the suite's `rbac` objects; without it they are errors. */
    authorizerFor?: (rbac: readonly KubeObject[]) => AuthorizerFn;
  } = {},
): { results: CaseResult[]; errors: PolicyError[] } {
  const { set, errors } = compilePolicies(policyResources, { params: suite.params ?? [] });
  const authorizer =
    suite.rbac !== undefined && options.authorizerFor ? options.authorizerFor(suite.rbac) : undefined;
  const name = suite.metadata.name;
  const results: CaseResult[] = suite.cases.map((c) => {
    if (errors.length > 0)
      return { suite: name, case: c.name, passed: false, reason: 'the suite has policy compile errors' };
    let reason: string | undefined;
    try {
      const e = evaluateRequest(set, attributesOf(suite, c), {
        autogen: suite.autogen ?? true,
        ...(authorizer ? { authorizer } : {}),
      });
      reason = judgeCase(c, e);
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    return reason === undefined
      ? { suite: name, case: c.name, passed: true }
      : { suite: name, case: c.name, passed: false, reason };
  });
  return { results, errors };
}
