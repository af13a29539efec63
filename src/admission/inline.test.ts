import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { KubeObject } from '../core/index.js';
import { compilePolicies } from '../policy/index.js';
import { celPolicyEvaluator } from './cel-evaluator.js';
import { compileAdmissionConfig, parseAdmissionConfig, type CompiledAdmissionConfig } from './config.js';
import { decideBody, inlineDecider, type InlineOptions } from './inline.js';
import type { PolicyEvaluator } from './ports.js';
import { fakePolicies, podOf, reviewOf } from './testing.js';

/** A cheap policy on pods and a dear one on Secrets (nested comprehensions over the data). */
const POLICIES = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: { name: no-latest }
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{ apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods] }]
  validations:
    - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
      message: no latest tag
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: { name: no-latest }
spec: { policyName: no-latest, validationActions: [Deny] }
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: { name: pairs }
spec:
  failurePolicy: Ignore
  matchConstraints:
    resourceRules: [{ apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [secrets] }]
  validations:
    - expression: "object.data.all(a, object.data.all(b, a + b != b + a + 'x'))"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: { name: pairs }
spec: { policyName: pairs, validationActions: [Deny] }
`;

function configWith(policies?: PolicyEvaluator): CompiledAdmissionConfig {
  const parsed = parseAdmissionConfig({
    apiVersion: 'palisade.dev/v1',
    kind: 'AdmissionConfiguration',
    defaults: { enforce: 'pss:baseline' },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const compiled = compileAdmissionConfig(parsed.value, policies ? { policies } : {});
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  return compiled.value;
}

function celConfig(): CompiledAdmissionConfig {
  const { set, errors } = compilePolicies(
    YAML.parseAllDocuments(POLICIES).map((d) => d.toJS() as KubeObject),
  );
  expect(errors).toEqual([]);
  return configWith(celPolicyEvaluator(set));
}

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** A Secret of `n` keys: the dear policy costs about n² units. */
function secret(n: number): Uint8Array {
  const data: Record<string, string> = {};
  for (let i = 0; i < n; i++) data[`k${i}`] = 'c2VjcmV0';
  return bytes(
    reviewOf(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'shop' }, data },
      { uid: 's' },
    ),
  );
}

const privileged = bytes(reviewOf(podOf('root', { privileged: true }), { uid: 'p' }));
const latest = bytes(reviewOf(podOf('web', { image: 'nginx:latest' }), { uid: 'l' }));

describe('inlineDecider', () => {
  const options: InlineOptions = { maxBytes: 16 * 1024, costLimit: 10_000 };

  it.each([
    ['a privileged pod, denied by the built-in controls', privileged, false],
    ['a pod denied by a CEL policy', latest, false],
    ['a small Secret, within the inline cost limit', secret(5), true],
  ])('decides %s as the workers do', (_name, body, allowed) => {
    const config = celConfig();
    const inline = inlineDecider(config, { ...options, now: () => 0, cpu: () => 0 });
    const here = inline?.decide(body, 'validate');
    expect(here).toEqual(decideBody(body, config, 'validate'));
    expect(
      here?.kind === 'answer' && (JSON.parse(here.review) as { response: { allowed: boolean } }),
    ).toMatchObject({
      response: { allowed },
    });
    expect(inline?.stats()).toEqual({ decided: 1, overBudget: 0, suspensions: 0 });
  });

  it('answers a small body that is not JSON, or not a review, itself', () => {
    const inline = inlineDecider(configWith(), options);
    expect(inline?.decide(new TextEncoder().encode('{"kind":'), 'validate')?.kind).toBe('invalid-json');
    expect(inline?.decide(bytes({ kind: 'Pod' }), 'validate')?.kind).toBe('bad');
  });

  it('leaves a body larger than maxBytes to the workers', () => {
    const inline = inlineDecider(configWith(), { ...options, maxBytes: privileged.byteLength - 1 });
    expect(inline?.decide(privileged, 'validate')).toBeUndefined();
    expect(inline?.stats().decided).toBe(0);
  });

  it('leaves a review that reaches the inline cost limit to the workers, who decide it in full', () => {
    const config = celConfig();
    const inline = inlineDecider(config, { ...options, now: () => 0, cpu: () => 0 });
    const dear = secret(300);
    expect(inline?.decide(dear, 'validate')).toBeUndefined();
    expect(inline?.stats()).toEqual({ decided: 0, overBudget: 1, suspensions: 0 });
    // With the API server's limits (as in a worker) it is decided: 90,000 pairs are within them.
    const full = decideBody(dear, config, 'validate');
    expect(
      full.kind === 'answer' && (JSON.parse(full.review) as { response: { allowed: boolean } }),
    ).toMatchObject({
      response: { allowed: true },
    });
  });

  it('a slow decision suspends the inline path for a while', () => {
    let clock = 0;
    const slow = fakePolicies([
      {
        name: 'slow',
        validate: () => {
          clock += 50;
          return undefined;
        },
      },
    ]);
    const limited: PolicyEvaluator = { ...slow, limited: () => slow };
    const inline = inlineDecider(configWith(limited), {
      ...options,
      slowMs: 20,
      suspendMs: 1000,
      now: () => clock,
      cpu: () => clock,
    });
    // Decided (the answer is right), but it took 50 ms: the next ones go to the workers.
    expect(inline?.decide(privileged, 'validate')?.kind).toBe('answer');
    expect(inline?.decide(privileged, 'validate')).toBeUndefined();
    clock += 999;
    expect(inline?.decide(privileged, 'validate')).toBeUndefined();
    clock += 2;
    // Slow again right after the suspension: twice as long (2 s) this time.
    expect(inline?.decide(privileged, 'validate')?.kind).toBe('answer');
    clock += 1999;
    expect(inline?.decide(privileged, 'validate')).toBeUndefined();
    clock += 2;
    expect(inline?.decide(privileged, 'validate')?.kind).toBe('answer');
    expect(inline?.stats()).toEqual({ decided: 3, overBudget: 0, suspensions: 3 });
    // Long after the last one: back to 1 s.
    clock += 100_000;
    expect(inline?.decide(privileged, 'validate')?.kind).toBe('answer');
    clock += 999;
    expect(inline?.decide(privileged, 'validate')).toBeUndefined();
    clock += 2;
    expect(inline?.decide(privileged, 'validate')?.kind).toBe('answer');
  });

  it('a decision that took long only because the thread waited for a CPU suspends nothing', () => {
    let clock = 0;
    let cpu = 0;
    const waits = fakePolicies([
      {
        name: 'waits',
        validate: () => {
          clock += 500;
          cpu += 1;
          return undefined;
        },
      },
    ]);
    const limited: PolicyEvaluator = { ...waits, limited: () => waits };
    const inline = inlineDecider(configWith(limited), {
      ...options,
      slowMs: 20,
      now: () => clock,
      cpu: () => cpu,
    });
    expect(inline?.decide(privileged, 'validate')?.kind).toBe('answer');
    expect(inline?.decide(privileged, 'validate')?.kind).toBe('answer');
    expect(inline?.stats()).toEqual({ decided: 2, overBudget: 0, suspensions: 0 });
  });

  it('reads the process CPU time at most every 5 ms of decisions, and after a slow one', () => {
    let clock = 0;
    let reads = 0;
    const inline = inlineDecider(configWith(), {
      ...options,
      slowMs: 20,
      now: () => clock,
      cpu: () => {
        reads++;
        return clock;
      },
    });
    // 100 quick decisions 0.1 ms apart: 10 ms, two reads.
    for (let i = 0; i < 100; i++) {
      expect(inline?.decide(privileged, 'validate')?.kind).toBe('answer');
      clock += 0.1;
    }
    expect(reads).toBe(2);
    // A slow one reads once more at its end, and suspends.
    const slow = fakePolicies([
      {
        name: 'slow',
        validate: () => {
          clock += 30;
          return undefined;
        },
      },
    ]);
    const slowInline = inlineDecider(configWith({ ...slow, limited: () => slow }), {
      ...options,
      slowMs: 20,
      now: () => clock,
      cpu: () => {
        reads++;
        return clock;
      },
    });
    reads = 0;
    expect(slowInline?.decide(privileged, 'validate')?.kind).toBe('answer');
    expect(reads).toBe(2);
    expect(slowInline?.stats().suspensions).toBe(1);
  });

  it('is off when no body may be decided inline, or when the policies have no cost limit to lower', () => {
    expect(inlineDecider(configWith(), { ...options, maxBytes: 0 })).toBeUndefined();
    const unbounded = fakePolicies([{ name: 'x', validate: () => undefined }]);
    expect(inlineDecider(configWith(unbounded), options)).toBeUndefined();
    // No policies at all: nothing to bound.
    expect(inlineDecider(configWith(), options)).toBeDefined();
  });
});
