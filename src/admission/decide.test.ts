import { describe, expect, it } from 'vitest';
import type { Control, KubeObject } from '../core/index.js';
import {
  compileAdmissionConfig,
  parseAdmissionConfig,
  type CompileAdmissionOptions,
  type CompiledAdmissionConfig,
} from './config.js';
import { decide, type DecideResult } from './decide.js';
import type { PolicyEvaluator } from './ports.js';
import { deploymentOf, fakePolicies, podOf, reviewOf } from './testing.js';
import { WARNING_MAX_CHARS, limitWarnings } from './text.js';

function compile(
  doc: Record<string, unknown>,
  options: CompileAdmissionOptions = {},
): CompiledAdmissionConfig {
  const parsed = parseAdmissionConfig({
    apiVersion: 'palisade.dev/v1',
    kind: 'AdmissionConfiguration',
    ...doc,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const compiled = compileAdmissionConfig(parsed.value, options);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  return compiled.value;
}

function answered(r: DecideResult): Extract<DecideResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected an answer, got ${JSON.stringify(r.problems)}`);
  return r;
}

const privileged = podOf('web', { namespace: 'shop', privileged: true });
const clean = podOf('web', { namespace: 'shop' });
const root = podOf('web', { namespace: 'shop', root: true });
const restrictedContext = (clean.spec as { containers: { securityContext: object }[] }).containers[0]
  ?.securityContext;
const latest = podOf('web', { namespace: 'shop', image: 'nginx:latest' });

// The real control sets, as `palisade scan --framework` selects them.
const base = {
  defaults: { enforce: 'pss:baseline', warn: 'pss:restricted', audit: 'pss:restricted' },
  namespaces: {
    strict: { 'palisade.dev/enforce': 'pss:restricted' },
    lax: { 'palisade.dev/enforce': 'none', 'palisade.dev/warn': 'none', 'palisade.dev/audit': 'none' },
    typo: { 'palisade.dev/enforce': 'restrictd', 'palisade.dev/warn': 'none', 'palisade.dev/audit': 'none' },
    versioned: {
      'palisade.dev/enforce': 'pss:restricted',
      'palisade.dev/enforce-version': 'v1.24',
      'palisade.dev/warn': 'none',
      'palisade.dev/audit': 'none',
    },
    cis: { 'palisade.dev/enforce': 'cis', 'palisade.dev/warn': 'none', 'palisade.dev/audit': 'none' },
  },
  exemptions: {
    usernames: ['system:serviceaccount:kube-system:replicaset-controller'],
    namespaces: ['ops'],
    runtimeClasses: ['kata'],
  },
};

function partition<T>(xs: readonly T[], p: (x: T) => boolean): [T[], T[]] {
  return [xs.filter(p), xs.filter((x) => !p(x))];
}

interface Case {
  name: string;
  object: KubeObject | null;
  review?: Parameters<typeof reviewOf>[1];
  allowed: boolean;
  denied?: string[];
  /** `denied` lists some of the causes, not all (large sets such as cis or the strictest fallback). */
  partial?: boolean;
  warned?: string[];
  annotations?: Record<string, string | RegExp>;
  result: string;
}

describe('decide: built-in controls by namespace mode', () => {
  const config = compile(base);
  it.each<Case>([
    {
      name: 'restricted-compliant pod allowed',
      object: clean,
      allowed: true,
      result: 'allow',
      annotations: { 'enforce-policy': 'pss:baseline:latest' },
    },
    {
      name: 'privileged pod denied by the pss:baseline default',
      object: privileged,
      allowed: false,
      denied: ['pss/privileged'],
      warned: ['pss/privileged'],
      result: 'deny',
    },
    {
      name: 'a pod that may run as root is only warned by pss:restricted, and audited',
      object: root,
      allowed: true,
      warned: ['pss/runAsNonRoot'],
      annotations: { 'audit-violations': /pss\/runAsNonRoot/ },
      result: 'warn',
    },
    {
      name: 'namespace label enforce=pss:restricted denies a pod that may run as root',
      object: podOf('web', { namespace: 'strict', root: true }),
      review: { namespace: 'strict' },
      allowed: false,
      denied: ['pss/runAsNonRoot'],
      warned: ['pss/runAsNonRoot'],
      result: 'deny',
    },
    {
      name: 'namespace labels none allow a privileged pod silently',
      object: podOf('web', { namespace: 'lax', privileged: true }),
      review: { namespace: 'lax' },
      allowed: true,
      result: 'allow',
    },
    {
      // pss:baseline (the default) has no run-as-non-root check: the typo does not make it restricted.
      name: 'unknown label value falls back to the cluster default, with a warning',
      object: podOf('web', { namespace: 'typo', root: true }),
      review: { namespace: 'typo' },
      allowed: true,
      annotations: {
        'namespace-label-errors':
          /"restrictd" is not a known framework or policy set; using the cluster default pss:baseline:latest/,
        'enforce-policy': 'pss:baseline:latest',
      },
      result: 'warn',
    },
    {
      name: 'unknown label value falls back to the cluster default, which still denies',
      object: podOf('web', { namespace: 'typo', privileged: true }),
      review: { namespace: 'typo' },
      allowed: false,
      denied: ['pss/privileged'],
      annotations: { 'namespace-label-errors': /restrictd/ },
      result: 'deny',
    },
    {
      name: 'version label is carried into the level',
      object: podOf('web', { namespace: 'versioned' }),
      review: { namespace: 'versioned' },
      allowed: true,
      annotations: { 'enforce-policy': 'pss:restricted:v1.24' },
      result: 'allow',
    },
    {
      // The seccomp requirement came into restricted at v1.19, so v1.18 lets it through.
      name: 'the version selects the PSS checks of that release',
      object: {
        ...clean,
        spec: {
          containers: [
            {
              ...(clean.spec as { containers: object[] }).containers[0],
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                runAsNonRoot: true,
              },
            },
          ],
        },
      },
      review: { namespace: 'versioned' },
      allowed: false,
      denied: ['pss/seccompProfile_restricted'],
      result: 'deny',
    },
    {
      name: 'namespace label enforce=cis runs the CIS-mapped catalogue controls',
      object: podOf('web', { namespace: 'cis', privileged: true }),
      review: { namespace: 'cis' },
      allowed: false,
      denied: ['workload/no-privileged'],
      partial: true,
      result: 'deny',
    },
    {
      name: 'deployment templates are enforced too',
      object: deploymentOf('api', { namespace: 'shop', privileged: true }),
      allowed: false,
      denied: ['pss/privileged'],
      warned: ['pss/privileged'],
      result: 'deny',
    },
    {
      name: 'exempt username',
      object: privileged,
      review: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      allowed: true,
      annotations: { exempt: 'username' },
      result: 'exempt',
    },
    {
      name: 'exempt namespace',
      object: podOf('x', { namespace: 'ops', privileged: true }),
      review: { namespace: 'ops' },
      allowed: true,
      annotations: { exempt: 'namespace' },
      result: 'exempt',
    },
    {
      name: 'exempt runtime class',
      object: podOf('x', { namespace: 'shop', privileged: true, runtimeClassName: 'kata' }),
      allowed: true,
      annotations: { exempt: 'runtimeClass' },
      result: 'exempt',
    },
    {
      name: 'dry run is evaluated the same',
      object: privileged,
      review: { dryRun: true },
      allowed: false,
      denied: ['pss/privileged'],
      warned: ['pss/privileged'],
      result: 'deny',
    },
    {
      name: 'v1beta1 is decided the same',
      object: privileged,
      review: { apiVersion: 'admission.k8s.io/v1beta1' },
      allowed: false,
      denied: ['pss/privileged'],
      warned: ['pss/privileged'],
      result: 'deny',
    },
    {
      name: 'UPDATE that only changes labels is not checked',
      object: { ...privileged, metadata: { ...privileged.metadata, labels: { app: 'web', tier: 'x' } } },
      review: { operation: 'UPDATE', oldObject: privileged },
      allowed: true,
      result: 'allow',
    },
    {
      name: 'UPDATE that changes the spec is checked',
      object: privileged,
      review: { operation: 'UPDATE', oldObject: clean },
      allowed: false,
      denied: ['pss/privileged'],
      warned: ['pss/privileged'],
      result: 'deny',
    },
    {
      name: 'UPDATE that changes an annotation is checked',
      object: { ...privileged, metadata: { ...privileged.metadata, annotations: { a: 'b' } } },
      review: { operation: 'UPDATE', oldObject: privileged },
      allowed: false,
      denied: ['pss/privileged'],
      warned: ['pss/privileged'],
      result: 'deny',
    },
    {
      name: 'DELETE is not checked by built-in controls',
      object: null,
      review: { operation: 'DELETE', oldObject: privileged },
      allowed: true,
      result: 'allow',
    },
    {
      name: 'pods/ephemeralcontainers is checked on the pod it carries',
      object: {
        ...clean,
        spec: {
          ...(clean.spec as object),
          ephemeralContainers: [
            {
              name: 'dbg',
              image: 'busybox:1.36',
              securityContext: { ...restrictedContext, privileged: true },
            },
          ],
        },
      },
      review: { operation: 'UPDATE', oldObject: clean, subResource: 'ephemeralcontainers' },
      allowed: false,
      denied: ['pss/privileged'],
      warned: ['pss/privileged'],
      result: 'deny',
    },
    {
      name: 'pods/status is not checked',
      object: privileged,
      review: { operation: 'UPDATE', oldObject: clean, subResource: 'status' },
      allowed: true,
      result: 'allow',
    },
    {
      name: 'deployments/scale is not checked',
      object: {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'api', namespace: 'shop' },
        spec: { replicas: 5 },
      },
      review: {
        operation: 'UPDATE',
        oldObject: {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name: 'api' },
          spec: { replicas: 2 },
        },
        kind: 'Scale',
        resource: 'deployments',
        subResource: 'scale',
      },
      allowed: true,
      result: 'allow',
    },
    {
      name: 'pods/exec (CONNECT) is not checked by built-in controls',
      object: { apiVersion: 'v1', kind: 'PodExecOptions', command: ['sh'], container: 'app' },
      review: { operation: 'CONNECT', kind: 'PodExecOptions', resource: 'pods', subResource: 'exec' },
      allowed: true,
      result: 'allow',
    },
    {
      name: 'unknown kinds are allowed',
      object: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: 'shop' },
        spec: { privileged: true },
      },
      allowed: true,
      result: 'allow',
    },
  ])(
    '$name',
    ({ object, review, allowed, denied = [], partial = false, warned = [], annotations = {}, result }) => {
      const uid = `uid-${Math.abs(hash(JSON.stringify([object, review])))}`;
      const r = answered(decide(reviewOf(object, { namespace: 'shop', ...review, uid }), config));
      const res = r.review.response;
      expect(r.review.apiVersion).toBe(review?.apiVersion ?? 'admission.k8s.io/v1');
      expect(r.review.kind).toBe('AdmissionReview');
      expect(res.uid).toBe(uid);
      expect(res.allowed).toBe(allowed);
      expect(r.record.result).toBe(result);
      if (allowed) expect(res.status).toBeUndefined();
      else {
        expect(res.status?.code).toBe(403);
        expect(res.status?.reason).toBe('Forbidden');
        for (const id of denied) expect(res.status?.message).toContain(id);
        const causes = res.status?.details?.causes.map((c) => c.message.split(':')[0]) ?? [];
        // The strictest fallback denies on every control it has; the named ones must be among them.
        if (partial) expect(causes).toEqual(expect.arrayContaining(denied));
        else expect(causes).toEqual(denied);
      }
      const [labelWarnings, controlWarnings] = partition(res.warnings ?? [], (w) =>
        w.startsWith('palisade: namespace '),
      );
      expect(controlWarnings.map((w) => /(?:pss|workload)\/[A-Za-z_-]+/.exec(w)?.[0])).toEqual(warned);
      // A label that names nothing is told to the user, not only to the audit log.
      const labelErrors = res.auditAnnotations?.['namespace-label-errors'];
      expect(labelWarnings.length > 0).toBe(labelErrors !== undefined);
      for (const [k, v] of Object.entries(annotations)) {
        if (typeof v === 'string') expect(res.auditAnnotations?.[k]).toBe(v);
        else expect(res.auditAnnotations?.[k]).toMatch(v);
      }
      expect(res.patch).toBeUndefined();
    },
  );

  it('lists every violated control with its field in the message', () => {
    const cfg = compile({ defaults: { enforce: 'all' } });
    const pod = podOf('bad', { namespace: 'shop', privileged: true, image: 'nginx', limits: false });
    const res = answered(decide(reviewOf(pod), cfg)).review.response;
    expect(res.status?.message).toMatch(/^palisade denied CREATE of Pod shop\/bad: /);
    for (const field of [
      'spec.containers[0].securityContext.privileged',
      'spec.containers[0].image',
      'spec.containers[0]):',
    ])
      expect(res.status?.message).toContain(field);
    const fields = res.status?.details?.causes.map((c) => c.field) ?? [];
    expect(fields).toEqual(
      expect.arrayContaining([
        'spec.containers[0].securityContext.privileged',
        'spec.containers[0].image',
        'spec.containers[0]',
      ]),
    );
    // Every cause is in the message too, with its control id.
    for (const c of res.status?.details?.causes ?? [])
      expect(res.status?.message).toContain(`${c.message.split(':')[0]} (${c.field})`);
  });

  it('keeps every warning within 120 characters and the total within 4096', () => {
    const cfg = compile({ defaults: { warn: 'all' } });
    const containers = Array.from({ length: 200 }, (_, i) => ({
      name: `container-with-a-very-long-name-number-${i}-${'x'.repeat(40)}`,
      image: 'nginx',
    }));
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'many', namespace: 'shop' },
      spec: { containers },
    };
    const res = answered(decide(reviewOf(pod), cfg)).review.response;
    expect(res.allowed).toBe(true);
    const warnings = res.warnings ?? [];
    for (const w of warnings) expect(w.length).toBeLessThanOrEqual(WARNING_MAX_CHARS);
    expect(warnings.join('').length).toBeLessThanOrEqual(4096);
    // One line per control, with the count of containers that violate it.
    const ids = warnings.map((w) => /: ([a-z]+\/[A-Za-z_-]+) \(/.exec(w)?.[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(warnings.some((w) => w.includes('200× e.g. spec.containers[0]'))).toBe(true);
  });

  it('keeps the warnings within the total when there are more controls than fit', () => {
    const many = Array.from({ length: 80 }, (_, i) => `${'w'.repeat(100)} ${i}`);
    const limited = limitWarnings(many);
    expect(limited.join('').length).toBeLessThanOrEqual(4096);
    expect(limited.at(-1)).toMatch(/more warnings not shown/);
  });

  it('groups the warnings of one pod by control, the controls that deny first', () => {
    const cfg = compile({ defaults: { enforce: 'pss:baseline', warn: 'pss:restricted' } });
    const containers = Array.from({ length: 14 }, (_, i) => ({
      name: `c${i}`,
      image: 'registry.example.com/app:1.0',
      securityContext: { privileged: true },
    }));
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'shop' },
      spec: { containers },
    };
    const res = answered(decide(reviewOf(pod), cfg)).review.response;
    expect(res.allowed).toBe(false);
    const warnings = res.warnings ?? [];
    const ids = warnings.map((w) => /: ([a-z]+\/[A-Za-z_-]+) \(/.exec(w)?.[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe('pss/privileged');
    expect(warnings[0]).toContain('14× e.g. spec.containers[0].securityContext.privileged');
    expect(warnings.length).toBeLessThan(14);
  });

  it('reports a control that throws per the failure policy, and the request still gets an answer', () => {
    const boom: Control = {
      id: 'test/boom',
      title: 'throws',
      severity: 'high',
      category: 'test',
      appliesTo: { podTemplate: true },
      rationale: 'r',
      remediation: 'r',
      frameworks: [{ id: 'boom', control: 'x' }],
      check: () => {
        throw new Error('kaput');
      },
    };
    for (const [failurePolicy, allowed] of [
      ['Fail', false],
      ['Ignore', true],
    ] as const) {
      const cfg = compile(
        { defaults: { enforce: 'boom' }, failurePolicy },
        { catalog: [boom], resolveControls: (name) => (name === 'boom' ? [boom] : undefined) },
      );
      const r = answered(decide(reviewOf(clean), cfg));
      expect(r.review.response.allowed).toBe(allowed);
      expect(r.record.errors).toEqual([
        { source: 'control', id: 'test/boom', message: 'kaput', failurePolicy },
      ]);
      if (!allowed)
        expect(r.review.response.status?.message).toContain(
          'control test/boom could not be evaluated: kaput',
        );
      else expect(r.review.response.auditAnnotations?.['evaluation-errors-ignored']).toContain('kaput');
    }
  });

  it('leaves controls that need the rest of the cluster to scans', () => {
    const cfg = compile({ defaults: { enforce: 'cis' } });
    const res = answered(decide(reviewOf(podOf('p', { namespace: 'shop', privileged: true })), cfg)).review
      .response;
    const ids = res.status?.details?.causes.map((c) => c.message.split(':')[0]) ?? [];
    expect(ids).toContain('workload/no-privileged');
    expect(ids).not.toContain('network/pod-selected-by-policy');
  });

  it('follows a namespace whose labels change, and answers a repeated review the same', () => {
    // The watch hands out a new object when a namespace changes; the modes follow it.
    let labels: Record<string, string> = { 'palisade.dev/enforce': 'pss:restricted' };
    let current: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'live', labels } };
    const cfg = compile({ defaults: { enforce: 'pss:baseline' } }, { namespaces: () => current });
    const review = reviewOf(podOf('web', { namespace: 'live', root: true }), { namespace: 'live' });
    const first = answered(decide(review, cfg)).review.response;
    expect(first.allowed).toBe(false);
    expect(answered(decide(review, cfg)).review.response).toEqual(first);
    labels = { 'palisade.dev/enforce': 'pss:baseline' };
    current = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'live', labels } };
    expect(answered(decide(review, cfg)).review.response.allowed).toBe(true);
    // Labels that name nothing: the warning comes with every review, not only the first.
    current = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'live', labels: { 'palisade.dev/enforce': 'restrictd' } },
    };
    for (let i = 0; i < 2; i++)
      expect(answered(decide(review, cfg)).review.response.warnings?.join('\n')).toMatch(
        /palisade\.dev\/enforce="restrictd" is not a known framework/,
      );
  });

  it('policy sets name controls by id and glob', () => {
    const cfg = compile({
      policySets: { team: ['workload/image-tag', 'workload/no-host-*', 'pss/privileged'] },
      defaults: { enforce: 'team' },
    });
    const base = podOf('p', { namespace: 'shop', image: 'nginx', limits: false, privileged: true });
    const pod = { ...base, spec: { ...(base.spec as object), hostPID: true } };
    const res = answered(decide(reviewOf(pod), cfg)).review.response;
    expect(res.status?.details?.causes.map((c) => c.message.split(':')[0]).sort()).toEqual([
      'pss/privileged',
      'workload/image-tag',
      'workload/no-host-pid',
    ]);
  });
});

describe('decide: CEL policies through the PolicyEvaluator port', () => {
  const noLatest = {
    name: 'no-latest',
    binding: 'no-latest-binding',
    validate: (a: { object?: KubeObject }) =>
      JSON.stringify(a.object?.spec ?? {}).includes(':latest') ? 'images must not use :latest' : undefined,
  };
  const cases: {
    name: string;
    policies: PolicyEvaluator;
    object?: KubeObject | null;
    review?: Parameters<typeof reviewOf>[1];
    allowed: boolean;
    code?: number;
    message?: RegExp;
    warnings?: RegExp[];
    annotations?: string[];
  }[] = [
    {
      name: 'Deny decision denies',
      policies: fakePolicies([noLatest]),
      allowed: false,
      code: 403,
      message: /policy no-latest \(binding no-latest-binding\): images must not use :latest/,
    },
    {
      name: 'Deny with reason Invalid answers 422',
      policies: fakePolicies([{ ...noLatest, reason: 'Invalid' }]),
      allowed: false,
      code: 422,
    },
    {
      name: 'Warn decision warns',
      policies: fakePolicies([{ ...noLatest, action: 'Warn' }]),
      allowed: true,
      warnings: [/images must not use :latest/],
    },
    {
      name: 'Audit decision annotates',
      policies: fakePolicies([{ ...noLatest, action: 'Audit', auditAnnotations: { 'image-tag': 'latest' } }]),
      allowed: true,
      annotations: ['policy-audit', 'no-latest.image-tag'],
    },
    {
      name: 'a policy error with failurePolicy Fail denies',
      policies: fakePolicies([{ name: 'broken', throws: true, failurePolicy: 'Fail' }]),
      allowed: false,
      message: /policy broken could not be evaluated: no such key: spec/,
    },
    {
      name: 'a policy error with failurePolicy Ignore allows and is recorded',
      policies: fakePolicies([
        { name: 'broken', throws: true, failurePolicy: 'Ignore' },
        { ...noLatest, action: 'Warn' },
      ]),
      allowed: true,
      warnings: [/images must not use :latest/],
      annotations: ['evaluation-errors-ignored'],
    },
    {
      name: 'an evaluator that throws falls back to policyFailurePolicy (Fail)',
      policies: {
        policies: ['x'],
        evaluate: () => {
          throw new TypeError('evaluator bug');
        },
      },
      allowed: false,
      message: /\(policy evaluator\) could not be evaluated: evaluator bug/,
    },
    {
      name: 'DELETE reaches policies with oldObject',
      policies: fakePolicies([
        {
          name: 'no-delete-prod',
          validate: (a) =>
            a.oldObject?.metadata?.labels?.env === 'prod' ? 'prod objects cannot be deleted' : undefined,
        },
      ]),
      object: null,
      review: {
        operation: 'DELETE',
        oldObject: { ...clean, metadata: { ...clean.metadata, labels: { env: 'prod' } } },
      },
      allowed: false,
      message: /prod objects cannot be deleted/,
    },
    {
      name: 'pods/exec reaches policies',
      policies: fakePolicies([
        {
          name: 'no-exec',
          validate: (a) => (a.subResource === 'exec' ? 'exec is not allowed here' : undefined),
        },
      ]),
      object: { apiVersion: 'v1', kind: 'PodExecOptions', command: ['sh'] },
      review: { operation: 'CONNECT', kind: 'PodExecOptions', resource: 'pods', subResource: 'exec' },
      allowed: false,
      message: /exec is not allowed here/,
    },
  ];
  it.each(cases)(
    '$name',
    ({ policies, object, review, allowed, code, message, warnings = [], annotations = [] }) => {
      const cfg = compile({}, { policies });
      const obj = object === undefined ? latest : object;
      const r = answered(decide(reviewOf(obj, { namespace: 'shop', ...review }), cfg));
      const res = r.review.response;
      expect(res.allowed).toBe(allowed);
      if (code !== undefined) expect(res.status?.code).toBe(code);
      if (message) expect(res.status?.message).toMatch(message);
      expect(res.warnings ?? []).toHaveLength(warnings.length);
      warnings.forEach((w, i) => {
        expect(res.warnings?.[i]).toMatch(w);
      });
      for (const a of annotations) expect(Object.keys(res.auditAnnotations ?? {})).toContain(a);
    },
  );

  it('passes every request attribute, the namespace object included', () => {
    const policies = fakePolicies([{ name: 'p' }]);
    const cfg = compile({ namespaces: { shop: { team: 'a' } } }, { policies });
    decide(reviewOf(clean, { dryRun: true, username: 'bob' }), cfg);
    const attrs = policies.calls[0]?.attrs;
    expect(attrs).toMatchObject({
      operation: 'CREATE',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: '',
      name: 'web',
      namespace: 'shop',
      userInfo: { username: 'bob', groups: ['system:authenticated'] },
      dryRun: true,
      object: clean,
      namespaceObject: { kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'a' } } },
    });
    expect(policies.calls[0]?.phase).toBe('validate');
  });

  it('mutate answers a base64 JSONPatch and never runs built-in controls', () => {
    const ops = [{ op: 'add' as const, path: '/metadata/labels/palisade.dev~1checked', value: 'true' }];
    const policies = fakePolicies([{ name: 'label', mutate: () => ops }]);
    const cfg = compile({ defaults: { enforce: 'all' } }, { policies });
    const r = answered(decide(reviewOf(privileged), cfg, 'mutate'));
    expect(r.review.response.allowed).toBe(true);
    expect(r.review.response.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(r.review.response.patch ?? '', 'base64').toString('utf8'))).toEqual(ops);
    expect(r.record.patched).toBe(true);
    expect(policies.calls[0]?.phase).toBe('mutate');
  });

  it('mutate without policies allows without a patch', () => {
    const r = answered(decide(reviewOf(privileged), compile({ defaults: { enforce: 'all' } }), 'mutate'));
    expect(r.review.response).toEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
  });
});

describe('decide: hostile objects still get an answer', () => {
  const cfg = compile({ defaults: { enforce: 'all' } });
  it.each<[string, Record<string, unknown>, boolean]>([
    ['ownerReferences not a list', { ownerReferences: {} }, false],
    ['ownerReferences with a null entry', { ownerReferences: [null] }, false],
    ['labels not a map', { labels: 'x' }, false],
  ])('%s', (_name, metadata, allowed) => {
    const pod = podOf('h', { namespace: 'shop', privileged: true });
    const object = { ...pod, metadata: { ...pod.metadata, ...metadata } };
    const r = answered(decide(reviewOf(object), cfg));
    expect(r.review.response.allowed).toBe(allowed);
    expect(r.review.response.status?.message).toContain('workload/no-privileged');
  });
});

describe('decide: objects without TypeMeta', () => {
  const cfg = compile({ defaults: { enforce: 'pss:baseline' } });
  const bare = (o: KubeObject): Record<string, unknown> => {
    const { apiVersion: _a, kind: _k, ...rest } = o;
    return rest;
  };
  it.each<[string, 'admission.k8s.io/v1' | 'admission.k8s.io/v1beta1']>([
    ['v1', 'admission.k8s.io/v1'],
    ['v1beta1', 'admission.k8s.io/v1beta1'],
  ])('takes apiVersion and kind from request.kind (%s)', (_name, apiVersion) => {
    const review = reviewOf(privileged, { apiVersion }) as { request: Record<string, unknown> };
    review.request.object = bare(privileged);
    const r = answered(decide(review, cfg));
    expect(r.review.apiVersion).toBe(apiVersion);
    expect(r.review.response.allowed).toBe(false);
    expect(r.review.response.status?.message).toContain('pss/privileged');
  });

  it('fills oldObject of an UPDATE too, and a workload group into apiVersion', () => {
    const deployment = deploymentOf('web', { namespace: 'shop', privileged: true });
    const review = reviewOf(deployment, { operation: 'UPDATE', oldObject: deployment }) as {
      request: Record<string, unknown>;
    };
    review.request.object = bare(deployment);
    review.request.oldObject = bare(deploymentOf('web', { namespace: 'shop' }));
    const r = answered(decide(review, cfg));
    expect(r.review.response.allowed).toBe(false);
    expect(r.review.response.status?.message).toContain('Deployment shop/web');
  });
});

describe('decide: bad reviews', () => {
  const cfg = compile(base);
  const good = reviewOf(clean) as { request: Record<string, unknown> } & Record<string, unknown>;
  it.each<[string, unknown, string[]]>([
    ['not an object', 'hello', ['']],
    ['wrong kind', { ...good, kind: 'Pod' }, ['kind']],
    ['wrong apiVersion', { ...good, apiVersion: 'admission.k8s.io/v2' }, ['apiVersion']],
    ['no request', { ...good, request: undefined }, ['request']],
    ['no uid', { ...good, request: { ...good.request, uid: undefined } }, ['request.uid']],
    ['CREATE without object', { ...good, request: { ...good.request, object: null } }, ['request.object']],
    [
      'UPDATE without oldObject',
      { ...good, request: { ...good.request, operation: 'UPDATE' } },
      ['request.oldObject'],
    ],
    ['bad operation', { ...good, request: { ...good.request, operation: 'PATCH' } }, ['request.operation']],
    [
      'object with a kind that is not a string',
      { ...good, request: { ...good.request, object: { apiVersion: 'v1', kind: 7 } } },
      ['request.object'],
    ],
    [
      'groups not strings',
      { ...good, request: { ...good.request, userInfo: { username: 'a', groups: [1] } } },
      ['request.userInfo.groups'],
    ],
  ])('%s', (_name, body, fields) => {
    const r = decide(body, cfg);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.field)).toEqual(fields);
  });
});

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}
