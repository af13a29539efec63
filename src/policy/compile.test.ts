import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { parseManifests } from '../load/index.js';
import { compilePolicies } from './compile.js';

const RULES = {
  resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
};
const vap = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: 'p' },
  spec: { matchConstraints: RULES, validations: [{ expression: 'true' }], ...spec },
});
const vapb = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name: 'b' },
  spec: { policyName: 'p', validationActions: ['Deny'], ...spec },
});

describe('compile errors carry the policy name and field path', () => {
  it.each<[string, KubeObject[], string, string, string]>([
    [
      'syntax error',
      [vap({ validations: [{ expression: 'object.spec ==' }] })],
      'p',
      'spec.validations[0].expression',
      'compilation failed',
    ],
    [
      'missing expression',
      [vap({ validations: [{ message: 'x' }] })],
      'p',
      'spec.validations[0].expression',
      'Required value',
    ],
    [
      'bad messageExpression',
      [vap({ validations: [{ expression: 'true', messageExpression: "'a' +" }] })],
      'p',
      'spec.validations[0].messageExpression',
      'compilation failed',
    ],
    [
      'unknown variable',
      [vap({ validations: [{ expression: 'nothing == 1' }] })],
      'p',
      'spec.validations[0].expression',
      'compilation failed',
    ],
    [
      'bad variable name',
      [vap({ variables: [{ name: 'a-b', expression: '1' }] })],
      'p',
      'spec.variables[0].name',
      'CEL identifier',
    ],
    [
      'duplicate match condition',
      [
        vap({
          matchConditions: [
            { name: 'a', expression: 'true' },
            { name: 'a', expression: 'true' },
          ],
        }),
      ],
      'p',
      'spec.matchConditions[1].name',
      'Duplicate',
    ],
    [
      'no resource rules',
      [vap({ matchConstraints: {} })],
      'p',
      'spec.matchConstraints.resourceRules',
      'Required value',
    ],
    [
      'no validations nor audit annotations',
      [vap({ validations: [] })],
      'p',
      'spec.validations',
      'at least one',
    ],
    [
      'bad failurePolicy',
      [vap({ failurePolicy: 'Sometimes' })],
      'p',
      'spec.failurePolicy',
      'Unsupported value',
    ],
    [
      'bad reason',
      [vap({ validations: [{ expression: 'true', reason: 'Teapot' }] })],
      'p',
      'spec.validations[0].reason',
      'Unsupported value',
    ],
    [
      'bad audit key',
      [vap({ auditAnnotations: [{ key: 'bad key!', valueExpression: "'x'" }] })],
      'p',
      'spec.auditAnnotations[0].key',
      'qualified name',
    ],
    [
      'binding without actions',
      [vap({}), vapb({ validationActions: [] })],
      'b',
      'spec.validationActions',
      'at least one',
    ],
    [
      'binding with Deny and Warn',
      [vap({}), vapb({ validationActions: ['Deny', 'Warn'] })],
      'b',
      'spec.validationActions',
      'both Deny and Warn',
    ],
    [
      'binding with an unknown action',
      [vap({}), vapb({ validationActions: ['Block'] })],
      'b',
      'spec.validationActions[0]',
      'Unsupported value',
    ],
    [
      'binding to an unknown policy',
      [vapb({ policyName: 'ghost' })],
      'b',
      'spec.policyName',
      'not among the given objects',
    ],
    [
      'paramRef with name and selector',
      [
        vap({ paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } }),
        vapb({ paramRef: { name: 'a', selector: {} } }),
      ],
      'b',
      'spec.paramRef.name',
      'mutually exclusive',
    ],
    [
      'paramKind without paramRef',
      [vap({ paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } }), vapb({})],
      'b',
      'spec.paramRef',
      'must set paramRef',
    ],
    [
      'bad mutation patchType',
      [
        {
          apiVersion: 'admissionregistration.k8s.io/v1beta1',
          kind: 'MutatingAdmissionPolicy',
          metadata: { name: 'm' },
          spec: { matchConstraints: RULES, mutations: [{ patchType: 'Merge' }] },
        },
      ],
      'm',
      'spec.mutations[0].patchType',
      'Unsupported value',
    ],
    [
      'bad applyConfiguration expression',
      [
        {
          apiVersion: 'admissionregistration.k8s.io/v1beta1',
          kind: 'MutatingAdmissionPolicy',
          metadata: { name: 'm' },
          spec: {
            matchConstraints: RULES,
            mutations: [
              { patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{spec: }' } },
            ],
          },
        },
      ],
      'm',
      'spec.mutations[0].applyConfiguration.expression',
      'compilation failed',
    ],
  ])('%s', (_n, objects, policy, path, message) => {
    const { errors, set } = compilePolicies(objects);
    expect(errors.map((e) => ({ policy: e.policy, path: e.path }))).toContainEqual({ policy, path });
    expect(errors.find((e) => e.path === path)?.message).toContain(message);
    if (objects[0]?.kind === 'ValidatingAdmissionPolicy' && policy === 'p')
      expect(set.validating).toHaveLength(0);
  });

  it('points at the file, line and column of the expression', () => {
    const yaml = [
      'apiVersion: admissionregistration.k8s.io/v1',
      'kind: ValidatingAdmissionPolicy',
      'metadata:',
      '  name: broken',
      'spec:',
      '  matchConstraints:',
      '    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]',
      '  validations:',
      '    - expression: "object.spec.containers.all(c,"',
      '',
    ].join('\n');
    const parsed = parseManifests(yaml, 'policies/broken.yaml');
    const { errors } = compilePolicies(parsed.resources);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      file: 'policies/broken.yaml',
      line: 9,
      policy: 'broken',
      path: 'spec.validations[0].expression',
    });
  });

  it('a valid policy compiles once and exposes its parts', () => {
    const { errors, set } = compilePolicies([vap({ variables: [{ name: 'x', expression: '1' }] }), vapb({})]);
    expect(errors).toEqual([]);
    expect(set.validating.map((p) => [p.name, p.variables.length, p.validations.length])).toEqual([
      ['p', 1, 1],
    ]);
    expect(set.validatingBindings.get('p')?.map((b) => b.name)).toEqual(['b']);
  });

  it('a CELPolicy is a policy plus its binding (validationActions default to Deny)', () => {
    const { errors, set } = compilePolicies([
      {
        apiVersion: 'palisade.dev/v1alpha1',
        kind: 'CELPolicy',
        metadata: { name: 'c' },
        spec: { matchConstraints: RULES, validations: [{ expression: 'true' }], severity: 'critical' },
      },
    ]);
    expect(errors).toEqual([]);
    expect(set.validating[0]?.severity).toBe('critical');
    expect(set.validatingBindings.get('c')?.[0]?.validationActions).toEqual(['Deny']);
  });
});
