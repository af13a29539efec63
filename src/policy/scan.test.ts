import { describe, expect, it } from 'vitest';
import { Inventory } from '../core/index.js';
import { parseManifests } from '../load/index.js';
import { compilePolicies } from './compile.js';
import { evaluatePoliciesOnInventory, resourceOfKind } from './scan.js';

describe('resourceOfKind', () => {
  it.each([
    ['Pod', 'pods'],
    ['Deployment', 'deployments'],
    ['Ingress', 'ingresses'],
    ['NetworkPolicy', 'networkpolicies'],
    ['StorageClass', 'storageclasses'],
    ['Endpoints', 'endpoints'],
    ['ValidatingWebhookConfiguration', 'validatingwebhookconfigurations'],
  ])('%s -> %s', (kind, resource) => {
    expect(resourceOfKind(kind)).toBe(resource);
  });
});

const POLICIES = `apiVersion: palisade.dev/v1alpha1
kind: CELPolicy
metadata: { name: named }
spec:
  matchConstraints:
    resourceRules: [{ apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods] }]
  validations:
    - expression: "object.spec.containers.all(c, c.name != 'bad')"
      message: no container may be called bad
      fieldPath: spec.containers
---
apiVersion: palisade.dev/v1alpha1
kind: CELPolicy
metadata: { name: needs-params }
spec:
  paramKind: { apiVersion: v1, kind: ConfigMap }
  paramRef: { name: missing, namespace: default }
  matchConstraints:
    resourceRules: [{ apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods] }]
  validations:
    - expression: "true"
`;

const MANIFESTS = `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: shop
spec:
  containers:
    - name: bad
      image: x:1
`;

describe('evaluatePoliciesOnInventory', () => {
  it('turns decisions into located findings; failures outside a validation have no index', () => {
    const { set, errors } = compilePolicies(parseManifests(POLICIES, 'policies.yaml').resources);
    expect(errors).toEqual([]);
    const inventory = new Inventory();
    for (const r of parseManifests(MANIFESTS, 'pod.yaml').resources) inventory.add(r);
    const { findings } = evaluatePoliciesOnInventory(set, inventory);
    expect(
      findings.map((f) => ({
        id: f.controlId,
        message: f.message,
        line: f.location?.line,
        path: f.fieldPath,
      })),
    ).toEqual([
      { id: 'policy/named/0', message: 'no container may be called bad', line: 7, path: 'spec.containers' },
      {
        id: 'policy/needs-params',
        message:
          'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction',
        line: 1,
        path: '',
      },
    ]);
  });
});
