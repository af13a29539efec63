import { describe, expect, it } from 'vitest';
import { matchResources, ruleMatches } from './match.js';
import type { MatchResources, RequestAttributes, ResourceRule } from './types.js';

function attrs(over: Partial<RequestAttributes> = {}): RequestAttributes {
  return {
    operation: 'CREATE',
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    },
    oldObject: null,
    kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    subResource: '',
    name: 'web',
    namespace: 'shop',
    ...over,
  };
}

const base: ResourceRule = {
  apiGroups: ['apps'],
  apiVersions: ['v1'],
  operations: ['CREATE'],
  resources: ['deployments'],
};

describe('ruleMatches', () => {
  it.each<[string, ResourceRule, Partial<RequestAttributes>, boolean]>([
    ['exact rule', base, {}, true],
    ['other operation', base, { operation: 'UPDATE' }, false],
    ['operation *', { ...base, operations: ['*'] }, { operation: 'DELETE' }, true],
    ['other group', { ...base, apiGroups: [''] }, {}, false],
    ['group *', { ...base, apiGroups: ['*'] }, {}, true],
    ['other version', { ...base, apiVersions: ['v1beta1'] }, {}, false],
    ['resource *', { ...base, resources: ['*'] }, {}, true],
    [
      'resource * does not match a subresource',
      { ...base, resources: ['*'] },
      { subResource: 'scale' },
      false,
    ],
    ['plain resource does not match a subresource', base, { subResource: 'scale' }, false],
    [
      'resource/sub matches the subresource',
      { ...base, resources: ['deployments/scale'] },
      { subResource: 'scale' },
      true,
    ],
    [
      'resource/* matches any subresource',
      { ...base, resources: ['deployments/*'] },
      { subResource: 'status' },
      true,
    ],
    // As the API server's rule matcher: sub "*" also matches the empty subresource.
    ['resource/* also matches the main resource', { ...base, resources: ['deployments/*'] }, {}, true],
    ['*/* matches everything', { ...base, resources: ['*/*'] }, { subResource: 'status' }, true],
    [
      '*/scale matches scale of any resource',
      { ...base, resources: ['*/scale'] },
      { subResource: 'scale' },
      true,
    ],
    ['scope Namespaced on a namespaced request', { ...base, scope: 'Namespaced' }, {}, true],
    ['scope Cluster on a namespaced request', { ...base, scope: 'Cluster' }, {}, false],
    [
      'scope Namespaced on a cluster-scoped request',
      { ...base, scope: 'Namespaced' },
      { namespace: '' },
      false,
    ],
    [
      'scope Cluster matches Namespace objects',
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE'],
        resources: ['namespaces'],
        scope: 'Cluster',
      },
      { resource: { group: '', version: 'v1', resource: 'namespaces' }, namespace: 'shop' },
      true,
    ],
    ['resourceNames match the name', { ...base, resourceNames: ['web'] }, {}, true],
    ['resourceNames exclude other names', { ...base, resourceNames: ['api'] }, {}, false],
  ])('%s', (_name, rule, over, want) => {
    const a = attrs(over);
    expect(ruleMatches(rule, a, a.resource)).toBe(want);
  });
});

describe('matchResources', () => {
  const nsShop = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { env: 'prod' } } };
  it.each<[string, MatchResources | undefined, Partial<RequestAttributes>, boolean, boolean]>([
    ['policy without constraints matches nothing', undefined, {}, true, false],
    ['binding without matchResources matches everything', undefined, {}, false, true],
    [
      'binding matchResources without rules do not constrain resources',
      { objectSelector: {} },
      {},
      false,
      true,
    ],
    ['policy matchConstraints without rules match nothing', { objectSelector: {} }, {}, true, false],
    ['rule match', { resourceRules: [base] }, {}, true, true],
    ['excludeResourceRules win', { resourceRules: [base], excludeResourceRules: [base] }, {}, true, false],
    [
      'namespaceSelector on namespace labels',
      { resourceRules: [base], namespaceSelector: { matchLabels: { env: 'prod' } } },
      { namespaceObject: nsShop },
      true,
      true,
    ],
    [
      'namespaceSelector mismatch',
      { resourceRules: [base], namespaceSelector: { matchLabels: { env: 'dev' } } },
      { namespaceObject: nsShop },
      true,
      false,
    ],
    [
      'namespaceSelector always sees kubernetes.io/metadata.name',
      {
        resourceRules: [base],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
      },
      {},
      true,
      true,
    ],
    [
      'namespaceSelector never skips other cluster-scoped objects',
      { resourceRules: [{ ...base, resources: ['*'] }], namespaceSelector: { matchLabels: { env: 'dev' } } },
      { namespace: '' },
      true,
      true,
    ],
    [
      'objectSelector on object labels',
      { resourceRules: [base], objectSelector: { matchLabels: { app: 'web' } } },
      {},
      true,
      true,
    ],
    [
      'objectSelector mismatch',
      { resourceRules: [base], objectSelector: { matchLabels: { app: 'api' } } },
      {},
      true,
      false,
    ],
    [
      'objectSelector matches the old object too (DELETE)',
      {
        resourceRules: [{ ...base, operations: ['DELETE'] }],
        objectSelector: { matchLabels: { app: 'old' } },
      },
      {
        operation: 'DELETE',
        object: null,
        oldObject: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', labels: { app: 'old' } },
        },
      },
      true,
      true,
    ],
    [
      'matchPolicy Equivalent maps extensions/v1beta1 to apps/v1',
      { resourceRules: [base] },
      { resource: { group: 'extensions', version: 'v1beta1', resource: 'deployments' } },
      true,
      true,
    ],
    [
      'matchPolicy Exact does not',
      { resourceRules: [base], matchPolicy: 'Exact' },
      { resource: { group: 'extensions', version: 'v1beta1', resource: 'deployments' } },
      true,
      false,
    ],
  ])('%s', (_name, m, over, requireRules, want) => {
    expect(matchResources(m, attrs(over), requireRules) !== undefined).toBe(want);
  });
});
