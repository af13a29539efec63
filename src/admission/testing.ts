/**
 * In-memory builders for admission tests, the benchmark and the fuzz test: AdmissionReviews
 * and a scripted PolicyEvaluator. Not part of the runtime path.
 */
import type { KubeObject } from '../core/index.js';
import type { PolicyDecision, PolicyError, PolicyEvaluation, PolicyEvaluator, PolicyPhase } from './ports.js';
import type { AdmissionAttributes, AdmissionVersion, JsonPatchOp, Operation } from './types.js';

/** Plural resource names of the kinds tests use. */
const RESOURCES: Readonly<Record<string, [string, string]>> = {
  Pod: ['', 'pods'],
  Deployment: ['apps', 'deployments'],
  DaemonSet: ['apps', 'daemonsets'],
  StatefulSet: ['apps', 'statefulsets'],
  Job: ['batch', 'jobs'],
  CronJob: ['batch', 'cronjobs'],
  ConfigMap: ['', 'configmaps'],
  Secret: ['', 'secrets'],
  Namespace: ['', 'namespaces'],
  Scale: ['autoscaling', 'scale'],
  PodExecOptions: ['', 'pods'],
};

/** Options of `reviewOf`. */
export interface ReviewOptions {
  apiVersion?: AdmissionVersion;
  uid?: string;
  operation?: Operation;
  namespace?: string;
  username?: string;
  dryRun?: boolean;
  oldObject?: KubeObject;
  subResource?: string;
  /** Overrides the resource (e.g. `pods` for a Pod's ephemeralcontainers). */
  resource?: string;
  kind?: string;
}

/** Builds an AdmissionReview request for an object the way the API server sends it. */
export function reviewOf(object: KubeObject | null, options: ReviewOptions = {}): Record<string, unknown> {
  const kind = options.kind ?? object?.kind ?? options.oldObject?.kind ?? 'Pod';
  const [group, plural] = RESOURCES[kind] ?? ['example.com', `${kind.toLowerCase()}s`];
  const version = (object?.apiVersion ?? 'v1').split('/').pop() ?? 'v1';
  const namespace = options.namespace ?? object?.metadata?.namespace ?? 'default';
  const request: Record<string, unknown> = {
    uid: options.uid ?? '705ab4f5-6393-11e8-b7cc-42010a800002',
    kind: { group, version, kind },
    resource: { group, version, resource: options.resource ?? plural },
    requestKind: { group, version, kind },
    requestResource: { group, version, resource: options.resource ?? plural },
    name: object?.metadata?.name ?? options.oldObject?.metadata?.name ?? '',
    namespace,
    operation: options.operation ?? 'CREATE',
    userInfo: { username: options.username ?? 'alice', uid: 'u-1', groups: ['system:authenticated'] },
    object,
    oldObject: options.oldObject ?? null,
    dryRun: options.dryRun ?? false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
  };
  if (options.subResource !== undefined) {
    request.subResource = options.subResource;
    request.requestSubResource = options.subResource;
  }
  return { apiVersion: options.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

/**
 * A Pod with one container that meets Pod Security `restricted` (non-root, no privilege
 * escalation, every capability dropped, RuntimeDefault seccomp); `privileged`, `root` and
 * `image` make the built-in controls fire.
 */
export function podOf(
  name: string,
  options: {
    namespace?: string;
    privileged?: boolean;
    /** Leaves runAsNonRoot unset (PSS restricted `runAsNonRoot` fails, baseline passes). */
    root?: boolean;
    image?: string;
    limits?: boolean;
    runtimeClassName?: string;
  } = {},
): KubeObject {
  const container: Record<string, unknown> = {
    name: 'app',
    image: options.image ?? 'registry.example.com/app:1.2.3',
    securityContext: {
      privileged: options.privileged ?? false,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      ...(options.root === true ? {} : { runAsNonRoot: true }),
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
  if (options.limits !== false) container.resources = { limits: { cpu: '500m', memory: '256Mi' } };
  const spec: Record<string, unknown> = { containers: [container] };
  if (options.runtimeClassName !== undefined) spec.runtimeClassName = options.runtimeClassName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: options.namespace ?? 'default', labels: { app: name } },
    spec,
  };
}

/** A Deployment around `podOf`'s pod spec. */
export function deploymentOf(name: string, options: Parameters<typeof podOf>[1] = {}): KubeObject {
  const pod = podOf(name, options);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: options.namespace ?? 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: pod.metadata, spec: pod.spec },
    },
  };
}

/** One scripted rule of the fake evaluator. */
export interface FakePolicy {
  name: string;
  /** Which requests it looks at; all when absent. */
  matches?: (attrs: AdmissionAttributes) => boolean;
  /** Returns a failed validation message, or undefined when the request passes. */
  validate?: (attrs: AdmissionAttributes) => string | undefined;
  action?: PolicyDecision['action'];
  reason?: string;
  binding?: string;
  /** Throws while evaluating (an internal error of this policy). */
  throws?: boolean;
  failurePolicy?: PolicyError['failurePolicy'];
  mutate?: (attrs: AdmissionAttributes) => JsonPatchOp[];
  auditAnnotations?: Record<string, string>;
}

/** A PolicyEvaluator over scripted rules, isolating each rule's errors the way the real one must. */
export function fakePolicies(
  rules: readonly FakePolicy[],
): PolicyEvaluator & { calls: { attrs: AdmissionAttributes; phase: PolicyPhase }[] } {
  const calls: { attrs: AdmissionAttributes; phase: PolicyPhase }[] = [];
  return {
    policies: rules.map((r) => r.name),
    calls,
    evaluate(attrs, phase): PolicyEvaluation {
      calls.push({ attrs, phase });
      const out: PolicyEvaluation = { decisions: [], auditAnnotations: {}, errors: [] };
      for (const rule of rules) {
        if (rule.matches && !rule.matches(attrs)) continue;
        try {
          if (rule.throws) throw new Error(`no such key: spec`);
          if (phase === 'mutate') {
            if (rule.mutate) (out.patch ??= []).push(...rule.mutate(attrs));
            continue;
          }
          const message = rule.validate?.(attrs);
          if (message !== undefined) {
            const d: PolicyDecision = {
              policy: rule.name,
              action: rule.action ?? 'Deny',
              message,
              validationIndex: 0,
            };
            if (rule.binding) d.binding = rule.binding;
            if (rule.reason) d.reason = rule.reason;
            out.decisions.push(d);
          }
          for (const [k, v] of Object.entries(rule.auditAnnotations ?? {}))
            out.auditAnnotations[`${rule.name}/${k}`] = v;
        } catch (e) {
          out.errors.push({
            policy: rule.name,
            message: e instanceof Error ? e.message : String(e),
            failurePolicy: rule.failurePolicy ?? 'Fail',
          });
        }
      }
      return out;
    },
  };
}

/** Policies of heavy comprehensions over a large Secret: much work, all of it within the cost limits. */
export function expensivePolicies(): string {
  const heavy = (n: number): string =>
    Array.from(
      { length: n },
      (_, i) => `    - expression: "object.data.all(a, object.data.all(b, a + b != b + a + '${i}'))"`,
    ).join('\n');
  const policy = (name: string): string =>
    [
      'apiVersion: admissionregistration.k8s.io/v1',
      'kind: ValidatingAdmissionPolicy',
      `metadata: { name: ${name} }`,
      'spec:',
      '  failurePolicy: Fail',
      '  matchConstraints:',
      "    resourceRules: [{ apiGroups: [''], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [secrets] }]",
      '  validations:',
      // Builds a copy of each value per step: stopped by the cost of what it builds.
      '    - expression: "object.data.all(k, (object.data[k] + object.data[k]).size() > 0)"',
      heavy(9),
      '---',
      'apiVersion: admissionregistration.k8s.io/v1',
      'kind: ValidatingAdmissionPolicyBinding',
      `metadata: { name: ${name} }`,
      `spec: { policyName: ${name}, validationActions: [Deny] }`,
    ].join('\n');
  // Forty policies, each with its own cost budget: each stops at its cost limit, so the work is
  // bounded by the budgets; with compiled CEL ten of them took 2.2 s on a quiet machine, under
  // the deadline, so forty keep the review well beyond it (about 9 s of work).
  return `${Array.from({ length: 40 }, (_, i) => policy(`secret-scan-${i}`)).join('\n---\n')}\n`;
}

/** A 2.4 MB Secret: 2,000 keys of 1.2 KB. */
export function bigSecret(): KubeObject {
  const data: Record<string, string> = {};
  for (let i = 0; i < 2000; i++) data[`key-${i}`] = Buffer.from('s'.repeat(900)).toString('base64');
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big', namespace: 'shop' }, data };
}
