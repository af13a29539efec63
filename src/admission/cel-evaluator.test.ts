import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { KubeObject } from '../core/index.js';
import { compilePolicies } from '../policy/index.js';
import { celPolicyEvaluator } from './cel-evaluator.js';
import { compileAdmissionConfig, parseAdmissionConfig, type CompiledAdmissionConfig } from './config.js';
import { decide, type DecideResult } from './decide.js';
import { podOf, reviewOf } from './testing.js';
import type { JsonPatchOp } from './types.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples/policies');

function example(name: string, file = 'policy.yaml'): KubeObject[] {
  return YAML.parseAllDocuments(readFileSync(path.join(EXAMPLES, name, file), 'utf8')).map(
    (d) => d.toJS() as KubeObject,
  );
}

// A ValidatingAdmissionPolicy whose binding only warns, with an audit annotation.
const warnReplicas: KubeObject[] = YAML.parseAllDocuments(
  `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: { name: pod-has-team }
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - { apiGroups: [''], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods] }
  validations:
    - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
      message: pods carry a team label
      reason: Invalid
  auditAnnotations:
    - key: image
      valueExpression: "object.spec.containers[0].image"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: { name: pod-has-team-warn }
spec:
  policyName: pod-has-team
  validationActions: [Warn]
`,
).map((d) => d.toJS() as KubeObject);

function configWith(objects: KubeObject[], defaults: Record<string, string> = {}): CompiledAdmissionConfig {
  const { set, errors } = compilePolicies(objects);
  expect(errors).toEqual([]);
  const parsed = parseAdmissionConfig({
    apiVersion: 'palisade.dev/v1',
    kind: 'AdmissionConfiguration',
    defaults,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const compiled = compileAdmissionConfig(parsed.value, { policies: celPolicyEvaluator(set) });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  return compiled.value;
}

function answered(r: DecideResult): Extract<DecideResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected an answer, got ${JSON.stringify(r.problems)}`);
  return r;
}

describe('decide with real CEL policies (src/policy)', () => {
  const config = configWith(
    [...example('no-latest-tag'), ...warnReplicas, ...example('default-security-context')],
    {
      enforce: 'pss:restricted',
    },
  );

  it('lists the loaded policies', () => {
    expect([...config.policies.policies].sort()).toEqual([
      'default-security-context',
      'no-latest-tag',
      'pod-has-team',
    ]);
  });

  it.each([
    {
      name: 'a latest tag is denied by the CELPolicy',
      pod: podOf('web', { namespace: 'shop', image: 'nginx:latest' }),
      allowed: false,
      message: /policy no-latest-tag.*containers use a latest or missing tag: app \(nginx:latest\)/,
      warnings: [/policy pod-has-team \(binding pod-has-team-warn\): pods carry a team label/],
    },
    {
      name: 'a pinned image without a team label is only warned',
      pod: podOf('web', { namespace: 'shop' }),
      allowed: true,
      warnings: [/policy pod-has-team \(binding pod-has-team-warn\): pods carry a team label/],
    },
    {
      name: 'a pinned image with a team label passes',
      pod: {
        ...podOf('web', { namespace: 'shop' }),
        metadata: { name: 'web', namespace: 'shop', labels: { team: 'a' } },
      },
      allowed: true,
      warnings: [],
    },
    {
      name: 'PSS restricted and a CEL policy both deny, in one message',
      pod: {
        ...podOf('web', { namespace: 'shop', image: 'nginx', privileged: true }),
        metadata: { name: 'web', namespace: 'shop', labels: { team: 'a' } },
      },
      allowed: false,
      message: /pss\/privileged.*policy no-latest-tag/,
      warnings: [],
    },
  ])('$name', ({ pod, allowed, message, warnings }) => {
    const res = answered(decide(reviewOf(pod, { uid: 'uid-cel' }), config)).review.response;
    expect(res.uid).toBe('uid-cel');
    expect(res.allowed).toBe(allowed);
    if (message) expect(res.status?.message).toMatch(message);
    else expect(res.status).toBeUndefined();
    expect(res.warnings ?? []).toHaveLength(warnings.length);
    warnings.forEach((w, i) => {
      expect(res.warnings?.[i]).toMatch(w);
    });
    expect(res.auditAnnotations?.['pod-has-team.image']).toBe(
      (pod.spec as { containers: { image: string }[] }).containers[0]?.image,
    );
    expect(res.patch).toBeUndefined();
  });

  it('answers 422 Invalid when only a policy with reason Invalid denies', () => {
    const objects = warnReplicas.map((o) =>
      o.kind === 'ValidatingAdmissionPolicyBinding'
        ? { ...o, spec: { ...(o.spec as object), validationActions: ['Deny'] } }
        : o,
    );
    const res = answered(decide(reviewOf(podOf('web', { namespace: 'shop' })), configWith(objects))).review
      .response;
    expect(res.allowed).toBe(false);
    expect(res.status?.code).toBe(422);
    expect(res.status?.reason).toBe('Invalid');
  });

  it('the mutate endpoint answers the MutatingAdmissionPolicy as a base64 JSONPatch', () => {
    const bare: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bare', namespace: 'shop' },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.2.3' }] },
    };
    const res = answered(decide(reviewOf(bare), config, 'mutate')).review.response;
    expect(res.allowed).toBe(true);
    expect(res.patchType).toBe('JSONPatch');
    const ops = JSON.parse(Buffer.from(res.patch ?? '', 'base64').toString('utf8')) as JsonPatchOp[];
    const mutated = applyPatch(bare, ops) as {
      spec: { securityContext: unknown; containers: { securityContext: unknown }[] };
    };
    expect(mutated.spec.securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(mutated.spec.containers[0]?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    // The validate phase does not run mutating policies, and vice versa.
    const validated = answered(decide(reviewOf(bare), config)).review.response;
    expect(validated.patch).toBeUndefined();
  });

  it('a pod whose securityContext sets runAsNonRoot is not patched (matchConditions)', () => {
    const pod = podOf('web', { namespace: 'shop' });
    const withPodContext = {
      ...pod,
      spec: { ...(pod.spec as object), securityContext: { runAsNonRoot: true } },
    };
    expect(answered(decide(reviewOf(pod), config, 'mutate')).review.response.patchType).toBe('JSONPatch');
    const res = answered(decide(reviewOf(withPodContext), config, 'mutate')).review.response;
    expect(res.allowed).toBe(true);
    expect(res.patch).toBeUndefined();
  });
});

/** A minimal RFC 6902 add/replace/remove applier, enough to check the answer's patch. */
function applyPatch(doc: unknown, ops: JsonPatchOp[]): unknown {
  const root = structuredClone(doc) as Record<string, unknown>;
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop() ?? '';
    let node: Record<string, unknown> | unknown[] = root;
    for (const p of parts) node = (Array.isArray(node) ? node[Number(p)] : node[p]) as typeof node;
    if (op.op === 'remove') {
      if (Array.isArray(node)) node.splice(Number(last), 1);
      else Reflect.deleteProperty(node, last);
    } else if (op.op === 'add' || op.op === 'replace') {
      if (Array.isArray(node)) {
        if (last === '-') node.push(op.value);
        else if (op.op === 'add') node.splice(Number(last), 0, op.value);
        else node[Number(last)] = op.value;
      } else node[last] = op.value;
    } else throw new Error(`unexpected op ${op.op}`);
  }
  return root;
}
