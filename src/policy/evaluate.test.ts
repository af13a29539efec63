import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import type { AuthorizerAttributes } from './cel/k8s-lib.js';
import { compilePolicies } from './compile.js';
import { evaluateRequest } from './evaluate.js';
import { createAttributes } from './scan.js';

const RULES = {
  resourceRules: [
    { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
  ],
};

function vap(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: { matchConstraints: RULES, ...spec },
  };
}
function binding(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec,
  };
}
function pod(over: Record<string, unknown> = {}, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', labels },
    spec: { containers: [{ name: 'app', image: 'app:1' }], ...over },
  };
}

function run(
  objects: KubeObject[],
  subject: KubeObject,
  options: Parameters<typeof evaluateRequest>[2] = {},
) {
  const { set, errors } = compilePolicies(objects);
  expect(errors).toEqual([]);
  return evaluateRequest(set, createAttributes(subject, null), options);
}

describe('validation actions', () => {
  const policy = vap('p', {
    validations: [{ expression: 'object.spec.containers.size() > 1', message: 'need two' }],
  });
  it.each<[string[], boolean, number, boolean]>([
    [['Deny'], false, 0, false],
    [['Warn'], true, 1, false],
    [['Audit'], true, 0, true],
    [['Deny', 'Audit'], false, 0, true],
    [['Warn', 'Audit'], true, 1, true],
  ])('%j: allowed=%s warnings=%i audit=%s', (actions, allowed, warnings, audit) => {
    const r = run([policy, binding('b', { policyName: 'p', validationActions: actions })], pod());
    expect(r.allowed).toBe(allowed);
    expect(r.warnings).toHaveLength(warnings);
    expect('validation.policy.admission.k8s.io/validation_failure' in r.auditAnnotations).toBe(audit);
    expect(r.decisions.map((d) => d.action)).toEqual(actions);
    if (!allowed)
      expect(r.denyMessage).toBe("ValidatingAdmissionPolicy 'p' with binding 'b' denied request: need two");
    if (warnings)
      expect(r.warnings[0]).toBe(
        "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': need two",
      );
  });
});

describe('messages', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['static message', { message: 'static' }, 'static'],
    [
      'messageExpression wins',
      { message: 'static', messageExpression: "'dyn ' + object.metadata.name" },
      'dyn web',
    ],
    [
      'messageExpression error falls back to message',
      { message: 'static', messageExpression: 'object.nope' },
      'static',
    ],
    ['empty messageExpression falls back', { message: 'static', messageExpression: "'  '" }, 'static'],
    ['no message: the failed expression', {}, 'failed expression: false'],
  ])('%s', (_n, v, want) => {
    const r = run(
      [
        vap('p', { validations: [{ expression: 'false', ...v }] }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.decisions[0]?.message).toBe(want);
  });

  it('reason defaults to Invalid and can be set', () => {
    const r = run(
      [
        vap('p', { validations: [{ expression: 'false' }, { expression: 'false', reason: 'Forbidden' }] }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.decisions.map((d) => [d.validationIndex, d.reason])).toEqual([
      [0, 'Invalid'],
      [1, 'Forbidden'],
    ]);
  });
});

describe('failurePolicy', () => {
  it.each<[string, boolean, string]>([
    ['Fail', false, 'denied'],
    ['Ignore', true, 'ignored'],
  ])('%s', (fp, allowed, outcome) => {
    const r = run(
      [
        vap('p', { failurePolicy: fp, validations: [{ expression: 'object.spec.missing == 1' }] }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.allowed).toBe(allowed);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.outcome).toBe(outcome);
    expect(r.errors[0]?.path).toBe('spec.validations[0].expression');
    expect(r.errors[0]?.message).toContain(
      "expression 'object.spec.missing == 1' resulted in error: No such key: missing",
    );
  });

  it('a non-bool validation result is an error', () => {
    const r = run(
      [
        vap('p', { validations: [{ expression: "'yes'" }] }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.errors[0]?.message).toContain('non-bool');
  });
});

describe('matchConditions and variables', () => {
  it.each<[string, unknown[], boolean, number]>([
    ['all true: validations run', [{ name: 'a', expression: 'true' }], false, 0],
    [
      'one false: skipped',
      [
        { name: 'a', expression: 'true' },
        { name: 'b', expression: 'false' },
      ],
      true,
      0,
    ],
    [
      'false wins over an error',
      [
        { name: 'a', expression: 'object.nope' },
        { name: 'b', expression: 'false' },
      ],
      true,
      0,
    ],
    ['an error without false follows failurePolicy', [{ name: 'a', expression: 'object.nope' }], false, 1],
  ])('%s', (_n, conditions, allowed, errors) => {
    const r = run(
      [
        vap('p', { matchConditions: conditions, validations: [{ expression: 'false' }] }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.allowed).toBe(allowed);
    expect(r.errors).toHaveLength(errors);
  });

  it('variables are lazy: an unused failing variable does not matter, later ones see earlier ones', () => {
    const r = run(
      [
        vap('p', {
          variables: [
            { name: 'broken', expression: 'object.nope' },
            { name: 'names', expression: 'object.spec.containers.map(c, c.name)' },
            { name: 'count', expression: 'size(variables.names)' },
          ],
          validations: [
            {
              expression: 'variables.count == 2',
              messageExpression: "'got ' + string(variables.count) + ': ' + variables.names.join(',')",
            },
          ],
        }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.errors).toEqual([]);
    expect(r.decisions[0]?.message).toBe('got 1: app');
  });

  it('a failing variable that is used makes the expression fail', () => {
    const r = run(
      [
        vap('p', {
          variables: [{ name: 'x', expression: 'object.nope' }],
          validations: [{ expression: 'variables.x == 1' }],
        }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.errors[0]?.message).toContain('composited variable "x" fails to evaluate');
  });
});

describe('auditAnnotations', () => {
  it.each<[string, string, Record<string, string>, number]>([
    ['a string is recorded under policy/key', "'v-' + object.metadata.name", { 'p/k': 'v-web' }, 0],
    ['null adds nothing', 'null', {}, 0],
    ['an empty string adds nothing', "''", {}, 0],
    ['a number is an error', '1', {}, 1],
  ])('%s', (_n, expr, want, errors) => {
    const r = run(
      [
        vap('p', { auditAnnotations: [{ key: 'k', valueExpression: expr }] }),
        binding('b', { policyName: 'p', validationActions: ['Audit'] }),
      ],
      pod(),
    );
    const own = Object.fromEntries(Object.entries(r.auditAnnotations).filter(([k]) => k.startsWith('p/')));
    expect(own).toEqual(want);
    expect(r.errors).toHaveLength(errors);
  });
});

describe('params', () => {
  const withParams = vap('p', {
    paramKind: { apiVersion: 'example.com/v1', kind: 'Limit' },
    validations: [
      {
        expression: 'size(object.spec.containers) <= params.max',
        messageExpression: "'limit ' + params.metadata.name",
      },
    ],
  });
  const limit = (
    name: string,
    max: number,
    labels: Record<string, string> = {},
    namespace = 'shop',
  ): KubeObject => ({
    apiVersion: 'example.com/v1',
    kind: 'Limit',
    metadata: { name, namespace, labels },
    max,
  });
  const twoContainers = pod({
    containers: [
      { name: 'a', image: 'a:1' },
      { name: 'b', image: 'b:1' },
    ],
  });
  it.each<[string, Record<string, unknown>, KubeObject[], string[], boolean]>([
    ['by name', { name: 'one' }, [limit('one', 1), limit('five', 5)], ['limit one'], false],
    ['by name, passing', { name: 'five' }, [limit('one', 1), limit('five', 5)], [], true],
    [
      'by selector: every match is evaluated',
      { selector: { matchLabels: { tier: 'x' } } },
      [limit('one', 1, { tier: 'x' }), limit('zero', 0, { tier: 'x' }), limit('five', 5)],
      ['limit one', 'limit zero'],
      false,
    ],
    [
      'empty selector selects all in the namespace',
      { selector: {} },
      [limit('one', 1), limit('other-ns', 0, {}, 'batch')],
      ['limit one'],
      false,
    ],
    [
      'explicit namespace',
      { name: 'zero', namespace: 'batch' },
      [limit('zero', 0, {}, 'batch')],
      ['limit zero'],
      false,
    ],
    [
      'not found, Deny',
      { name: 'missing', parameterNotFoundAction: 'Deny' },
      [limit('one', 1)],
      ['failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction'],
      false,
    ],
    ['not found, Allow', { name: 'missing', parameterNotFoundAction: 'Allow' }, [limit('one', 1)], [], true],
    [
      'not found, default is Deny',
      { name: 'missing' },
      [],
      ['failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction'],
      false,
    ],
  ])('%s', (_n, ref, params, messages, allowed) => {
    const r = run(
      [withParams, binding('b', { policyName: 'p', validationActions: ['Deny'], paramRef: ref }), ...params],
      twoContainers,
    );
    expect(r.decisions.map((d) => d.message)).toEqual(messages);
    expect(r.allowed).toBe(allowed);
  });

  it('params are null without paramKind', () => {
    const r = run(
      [
        vap('p', { validations: [{ expression: 'params == null' }] }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.allowed).toBe(true);
  });
});

describe('request and environment variables', () => {
  it.each<[string, boolean]>([
    [
      "request.operation == 'CREATE' && request.kind.kind == 'Pod' && request.resource.resource == 'pods'",
      true,
    ],
    ["request.namespace == 'shop' && request.name == 'web'", true],
    ['oldObject == null', true],
    ["namespaceObject.metadata.labels['env'] == 'prod'", true],
    ["authorizer.group('').resource('pods').check('create').allowed()", true],
    ['object.metadata.?annotations.orValue({}).size() == 0', true],
    ['type(object) == map && type(1) == int', true],
  ])('%s', (expr, allowed) => {
    const { set, errors } = compilePolicies([
      vap('p', { validations: [{ expression: expr }] }),
      binding('b', { policyName: 'p', validationActions: ['Deny'] }),
    ]);
    expect(errors).toEqual([]);
    const ns: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { env: 'prod' } },
    };
    const r = evaluateRequest(set, createAttributes(pod(), ns), {
      authorizer: () => ({ decision: 'allow' }),
    });
    expect(r.errors).toEqual([]);
    expect(r.allowed).toBe(allowed);
  });

  it('authorizer checks ask as the request user, or as the named ServiceAccount', () => {
    const asked: AuthorizerAttributes[] = [];
    const { set, errors } = compilePolicies([
      vap('p', {
        validations: [
          {
            expression:
              "authorizer.group('apps').resource('deployments').subresource('scale').namespace('shop').name('web').check('update').allowed() && " +
              "authorizer.serviceAccount('shop', 'builder').path('/metrics').check('get').reason() == 'because'",
          },
        ],
      }),
      binding('b', { policyName: 'p', validationActions: ['Deny'] }),
    ]);
    expect(errors).toEqual([]);
    const attrs = createAttributes(pod(), null);
    attrs.userInfo = { username: 'alice', groups: ['devs', 'system:authenticated'] };
    const r = evaluateRequest(set, attrs, {
      authorizer: (a) => {
        asked.push(a);
        return { decision: 'allow', reason: 'because' };
      },
    });
    expect(r.errors).toEqual([]);
    expect(r.allowed).toBe(true);
    expect(asked).toEqual([
      {
        user: 'alice',
        groups: ['devs', 'system:authenticated'],
        group: 'apps',
        resource: 'deployments',
        subresource: 'scale',
        namespace: 'shop',
        name: 'web',
        verb: 'update',
      },
      {
        user: 'system:serviceaccount:shop:builder',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:shop'],
        path: '/metrics',
        verb: 'get',
      },
    ]);
  });

  it('the authorizer is a clear error offline', () => {
    const r = run(
      [
        vap('p', {
          validations: [{ expression: "authorizer.group('').resource('pods').check('create').allowed()" }],
        }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.errors[0]?.message).toContain('authorizer is not available offline');
  });
});

describe('cost limits', () => {
  const runaway =
    '[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, a + b + c + d + e + f > 0))))))';
  it('a runaway expression is stopped by the per-expression budget with a clear error', () => {
    const r = run(
      [
        vap('p', { validations: [{ expression: runaway }] }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.allowed).toBe(false);
    expect(r.errors[0]?.code).toBe('cost_exceeded');
    expect(r.errors[0]?.message).toContain('operation cancelled: actual cost limit exceeded');
  });

  it('two-variable comprehensions are metered too', () => {
    const l = '[1,2,3,4,5,6,7,8,9,10]';
    const nested = `${l}.all(i, a, ${l}.all(j, b, ${l}.all(k, c, ${l}.all(m, d, ${l}.all(n, e, ${l}.all(o, f, a + b + c + d + e + f > 0))))))`;
    const r = run(
      [
        vap('p', { validations: [{ expression: nested }] }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.errors[0]?.code).toBe('cost_exceeded');
  });

  it('the per-call budget stops a policy whose expressions together exceed it', () => {
    const small = '[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, a + b > 0))';
    const r = run(
      [
        vap('p', { validations: Array.from({ length: 5 }, () => ({ expression: small })) }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
      { perCallCostLimit: 3000 },
    );
    const codes = r.errors.map((e) => e.code);
    expect(codes).toContain('cost_exceeded');
    expect(codes.length).toBeLessThan(5);
  });

  it('an ordinary expression stays far under the budget', () => {
    const r = run(
      [
        vap('p', { validations: [{ expression: "object.spec.containers.all(c, c.image != '')" }] }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
      {
        perExpressionCostLimit: 100,
      },
    );
    expect(r.errors).toEqual([]);
  });
});

describe('mutations', () => {
  const map = (mutations: unknown[], extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'admissionregistration.k8s.io/v1beta1',
    kind: 'MutatingAdmissionPolicy',
    metadata: { name: 'm' },
    spec: { matchConstraints: RULES, mutations, ...extra },
  });
  const mb: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1beta1',
    kind: 'MutatingAdmissionPolicyBinding',
    metadata: { name: 'mb' },
    spec: { policyName: 'm' },
  };
  it.each<[string, unknown[], unknown[]]>([
    [
      'ApplyConfiguration merges maps',
      [
        {
          patchType: 'ApplyConfiguration',
          applyConfiguration: { expression: 'Object{metadata: Object.metadata{labels: {"x": "1"}}}' },
        },
      ],
      [{ op: 'add', path: '/metadata/labels/x', value: '1' }],
    ],
    [
      'ApplyConfiguration merges containers by name',
      [
        {
          patchType: 'ApplyConfiguration',
          applyConfiguration: {
            expression:
              'Object{spec: Object.spec{containers: [Object.spec.containers.item{name: "app", imagePullPolicy: "Always"}]}}',
          },
        },
      ],
      [{ op: 'add', path: '/spec/containers/0/imagePullPolicy', value: 'Always' }],
    ],
    [
      'JSONPatch ops apply in order',
      [
        {
          patchType: 'JSONPatch',
          jsonPatch: {
            expression:
              '[JSONPatch{op: "replace", path: "/spec/containers/0/image", value: "app:2"}, JSONPatch{op: "add", path: "/metadata/labels/" + jsonpatch.escapeKey("a/b"), value: "c"}]',
          },
        },
      ],
      [
        { op: 'add', path: '/metadata/labels/a~1b', value: 'c' },
        { op: 'replace', path: '/spec/containers/0/image', value: 'app:2' },
      ],
    ],
    [
      'mutations see earlier ones',
      [
        {
          patchType: 'JSONPatch',
          jsonPatch: { expression: '[JSONPatch{op: "add", path: "/metadata/labels/a", value: "1"}]' },
        },
        {
          patchType: 'JSONPatch',
          jsonPatch: {
            expression:
              '[JSONPatch{op: "add", path: "/metadata/labels/b", value: object.metadata.labels.a + "2"}]',
          },
        },
      ],
      [
        { op: 'add', path: '/metadata/labels/a', value: '1' },
        { op: 'add', path: '/metadata/labels/b', value: '12' },
      ],
    ],
  ])('%s', (_n, mutations, patch) => {
    const r = run([map(mutations), mb], pod());
    expect(r.errors).toEqual([]);
    expect(r.patch).toEqual(patch);
  });

  it('validations see the mutated object', () => {
    const r = run(
      [
        map([
          {
            patchType: 'JSONPatch',
            jsonPatch: { expression: '[JSONPatch{op: "add", path: "/metadata/labels/team", value: "a"}]' },
          },
        ]),
        mb,
        vap('p', { validations: [{ expression: "'team' in object.metadata.labels" }] }),
        binding('b', { policyName: 'p', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.allowed).toBe(true);
  });

  it('a failing JSON patch follows failurePolicy', () => {
    const r = run(
      [
        map([
          {
            patchType: 'JSONPatch',
            jsonPatch: { expression: '[JSONPatch{op: "remove", path: "/spec/nothing"}]' },
          },
        ]),
        mb,
      ],
      pod(),
    );
    expect(r.allowed).toBe(false);
    expect(r.errors[0]?.message).toContain('mutation failed');
  });
});

describe('autogen', () => {
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'app:latest' }] },
      },
    },
  };
  const policy = vap('p', {
    validations: [
      {
        expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))",
        fieldPath: 'spec.containers',
      },
    ],
  });
  it.each<[boolean, number]>([
    [true, 1],
    [false, 0],
  ])('autogen=%s gives %i decisions on a Deployment', (autogen, n) => {
    const r = run([policy, binding('b', { policyName: 'p', validationActions: ['Deny'] })], deployment, {
      autogen,
    });
    expect(r.decisions).toHaveLength(n);
    if (n) {
      expect(r.decisions[0]?.autogen).toEqual({ templatePath: 'spec.template' });
      expect(r.decisions[0]?.fieldPath).toBe('spec.template.spec.containers');
    }
  });

  it('the palisade.dev/autogen: "false" annotation opts a policy out', () => {
    const p = { ...policy, metadata: { name: 'p', annotations: { 'palisade.dev/autogen': 'false' } } };
    const r = run([p, binding('b', { policyName: 'p', validationActions: ['Deny'] })], deployment, {
      autogen: true,
    });
    expect(r.decisions).toHaveLength(0);
  });
});

describe('variables shared by several policies', () => {
  // The same variable expression in several policies is evaluated once per request inputs;
  // these cases fail if a value or a cost leaks between inputs that differ.
  const limitPolicy = (name: string) =>
    vap(name, {
      paramKind: { apiVersion: 'example.com/v1', kind: 'Limit' },
      variables: [
        { name: 'n', expression: 'size(object.spec.containers)' },
        { name: 'max', expression: 'params.max' },
      ],
      validations: [
        { expression: 'variables.n <= variables.max', messageExpression: "'limit ' + params.metadata.name" },
      ],
    });
  const limit = (name: string, max: number): KubeObject => ({
    apiVersion: 'example.com/v1',
    kind: 'Limit',
    metadata: { name, namespace: 'shop', labels: { tier: 'x' } },
    max,
  });
  const twoContainers = pod({
    containers: [
      { name: 'a', image: 'a:1' },
      { name: 'b', image: 'b:1' },
    ],
  });

  it('each param gets its own value of a variable that reads params', () => {
    const r = run(
      [
        limitPolicy('p1'),
        limitPolicy('p2'),
        binding('b1', { policyName: 'p1', validationActions: ['Deny'], paramRef: { name: 'one' } }),
        binding('b2', {
          policyName: 'p2',
          validationActions: ['Deny'],
          paramRef: { selector: { matchLabels: { tier: 'x' } } },
        }),
        limit('one', 1),
        limit('five', 5),
      ],
      twoContainers,
    );
    expect(r.decisions.map((d) => `${d.policy} ${d.message}`)).toEqual(['p1 limit one', 'p2 limit one']);
  });

  it('a mutated object is a new input: validations see the mutated value', () => {
    const mutating: KubeObject = {
      apiVersion: 'admissionregistration.k8s.io/v1beta1',
      kind: 'MutatingAdmissionPolicy',
      metadata: { name: 'm' },
      spec: {
        matchConstraints: RULES,
        variables: [{ name: 'n', expression: 'size(object.spec.containers)' }],
        mutations: [
          {
            patchType: 'JSONPatch',
            jsonPatch: {
              expression:
                "variables.n < 2 ? [JSONPatch{op: 'add', path: '/spec/containers/-', value: {'name': 'b', 'image': 'b:1'}}] : []",
            },
          },
        ],
      },
    };
    const mBinding: KubeObject = {
      apiVersion: 'admissionregistration.k8s.io/v1beta1',
      kind: 'MutatingAdmissionPolicyBinding',
      metadata: { name: 'mb' },
      spec: { policyName: 'm' },
    };
    const r = run(
      [
        mutating,
        mBinding,
        vap('v', {
          variables: [{ name: 'n', expression: 'size(object.spec.containers)' }],
          validations: [{ expression: 'variables.n == 2', message: 'not mutated' }],
        }),
        binding('vb', { policyName: 'v', validationActions: ['Deny'] }),
      ],
      pod(),
    );
    expect(r.patch?.length).toBe(1);
    expect(r.allowed).toBe(true);
  });

  it('a policy whose budget cannot pay for the shared variable still fails on cost', () => {
    const heavy = '[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, a + b)).size()';
    // The variable costs 500-800 units, each validation 800-1200, against 3000 per call.
    const policy = (name: string, validations: number) =>
      vap(name, {
        variables: [{ name: 'h', expression: heavy }],
        validations: Array.from({ length: validations }, (_, i) => ({
          expression: `variables.h == 10 && ${i} >= 0 && [1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, a + b > 0))`,
        })),
      });
    const objects = [
      policy('cheap', 1),
      binding('b1', { policyName: 'cheap', validationActions: ['Deny'] }),
      policy('dear', 4),
      binding('b2', { policyName: 'dear', validationActions: ['Deny'] }),
    ];
    const cheapAlone = run(objects.slice(0, 2), pod(), { perCallCostLimit: 3000 });
    const dearAlone = run(objects.slice(2), pod(), { perCallCostLimit: 3000 });
    const shared = run(objects, pod(), { perCallCostLimit: 3000 });
    const codes = (r: ReturnType<typeof run>, p: string) =>
      r.errors.filter((e) => e.policy === p).map((e) => `${e.path} ${e.code}`);
    expect(codes(cheapAlone, 'cheap')).toEqual([]);
    expect(codes(dearAlone, 'dear')).toContain('spec.validations[2].expression cost_exceeded');
    expect(codes(shared, 'dear')).toEqual(codes(dearAlone, 'dear'));
    expect(codes(shared, 'cheap')).toEqual([]);
  });
});

describe('policies with the same matchConstraints', () => {
  it('each matching policy runs and a policy with other constraints does not', () => {
    const deployments = {
      resourceRules: [
        { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] },
      ],
    };
    const r = run(
      [
        vap('a', { validations: [{ expression: 'false', message: 'a' }] }),
        vap('b', { validations: [{ expression: 'false', message: 'b' }] }),
        vap('c', { matchConstraints: deployments, validations: [{ expression: 'false', message: 'c' }] }),
        vap('d', {
          matchConstraints: { ...RULES, excludeResourceRules: RULES.resourceRules },
          validations: [{ expression: 'false', message: 'd' }],
        }),
        ...['a', 'b', 'c', 'd'].map((p) => binding(p, { policyName: p, validationActions: ['Warn'] })),
      ],
      pod(),
    );
    expect(r.decisions.map((d) => d.message)).toEqual(['a', 'b']);
  });
});
