import { describe, expect, it } from 'vitest';
import { Inventory } from '../core/index.js';
import { parseManifests } from '../load/index.js';
import { parseAuditLog } from '../rbac/index.js';
import { Engines } from './engines.js';

const RBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: app, namespace: shop }
rules:
  - { apiGroups: [""], resources: [configmaps], verbs: [get] }
  - { apiGroups: [""], resources: [secrets], verbs: [get, list] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: app, namespace: shop }
subjects: [{ kind: ServiceAccount, name: api }, { kind: ServiceAccount, name: idle }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: app }
`;

function inventory(): Inventory {
  const inv = new Inventory();
  for (const r of parseManifests(RBAC, 'rbac.yaml').resources) inv.add(r);
  return inv;
}

const CALL = JSON.stringify({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  auditID: 'a1',
  stage: 'ResponseComplete',
  verb: 'get',
  user: { username: 'system:serviceaccount:shop:api', groups: ['system:serviceaccounts'] },
  objectRef: { resource: 'configmaps', namespace: 'shop', name: 'settings' },
  responseStatus: { code: 200 },
});

describe('unused rights', () => {
  it('says what enables the list without an audit log', () => {
    const r = new Engines({ key: 'k', source: 'test', inventory: inventory() }).unusedRights();
    expect(r.rights).toEqual([]);
    expect(r.enabledBy).toContain('--audit-log');
  });

  it('lists the rules a seen subject never used, and every rule of a subject never seen', () => {
    const calls = parseAuditLog(`${CALL}\n`).calls;
    expect(calls).toHaveLength(1);
    const r = new Engines({
      key: 'k',
      source: 'test',
      inventory: inventory(),
      audit: { file: 'audit.jsonl', calls },
    }).unusedRights();
    expect(r.enabledBy).toBeUndefined();
    expect(r.auditLog).toBe('audit.jsonl');
    expect(r.rights.map((x) => [x.subject, x.namespace, x.rule, x.calls])).toEqual([
      ['ServiceAccount:shop:api', 'shop', 'get,list secrets [core]', 1],
      ['ServiceAccount:shop:idle', 'shop', 'get configmaps [core]', 0],
      ['ServiceAccount:shop:idle', 'shop', 'get,list secrets [core]', 0],
    ]);
    expect(r.rights[0]?.via).toEqual(['RoleBinding/shop/app → Role/shop/app']);
  });
});
