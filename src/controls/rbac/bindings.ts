/**
 * Binding controls. Bindings named `system:…` (created by Kubernetes) are skipped.
 *
 * - rbac/no-cluster-admin-binding (5.1.1): a RoleBinding or ClusterRoleBinding to the
 *   ClusterRole `cluster-admin` whose subject is not a `system:` identity. Path `subjects[i]`.
 * - rbac/no-system-masters (5.1.7): a subject is the group `system:masters` (which bypasses
 *   RBAC entirely).
 * - rbac/no-anonymous-bindings: a subject is `system:anonymous`, `system:unauthenticated`
 *   or `system:authenticated`: the role is then granted to everyone who can reach (or
 *   holds any credential for) the API server.
 */
import type { Control, Violation } from '../../core/index.js';
import { formatRef } from '../../core/index.js';
import { cis, mitre, nsa } from '../support.js';
import { roleRefOf, subjectsOf, type SubjectLike } from './rules.js';

const BINDING_KINDS = ['ClusterRoleBinding', 'RoleBinding'];
const RBAC_NSA = nsa('Authentication and authorization: role-based access control');
const PUBLIC = ['system:anonymous', 'system:unauthenticated', 'system:authenticated'];

function who(s: SubjectLike): string {
  return `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`;
}

function bindingControl(
  base: Omit<Control, 'check' | 'appliesTo' | 'category'>,
  pick: (s: SubjectLike, role: { kind: string; name: string }) => string | undefined,
): Control {
  return {
    ...base,
    category: 'rbac',
    appliesTo: { kinds: BINDING_KINDS },
    check({ resource }) {
      if (resource.ref.name.startsWith('system:')) return [];
      const role = roleRefOf(resource);
      if (!role) return [];
      const out: Violation[] = [];
      for (const s of subjectsOf(resource)) {
        const msg = pick(s, role);
        if (msg) out.push({ message: `${formatRef(resource.ref)}: ${msg}`, path: `subjects[${s.index}]` });
      }
      return out;
    },
  };
}

export const noClusterAdminBinding = bindingControl(
  {
    id: 'rbac/no-cluster-admin-binding',
    title: 'cluster-admin must only be bound to system identities',
    severity: 'critical',
    rationale:
      'cluster-admin is every right on every object; a workload or person holding it is one compromise from owning the cluster.',
    remediation: 'Bind a role with only the rights needed; keep cluster-admin for break-glass accounts.',
    frameworks: [cis('5.1.1'), RBAC_NSA, mitre('T1078')],
  },
  (s, role) =>
    role.kind === 'ClusterRole' && role.name === 'cluster-admin' && !s.name.startsWith('system:')
      ? `${who(s)} holds cluster-admin`
      : undefined,
);

export const noSystemMasters = bindingControl(
  {
    id: 'rbac/no-system-masters',
    title: 'Bindings must not name the system:masters group',
    severity: 'high',
    rationale:
      'Members of system:masters bypass authorization entirely; a binding to it is a sign of confusion or a backdoor.',
    remediation: 'Remove system:masters from the binding; grant named groups the roles they need.',
    frameworks: [cis('5.1.7'), RBAC_NSA, mitre('T1078')],
  },
  (s) => (s.kind === 'Group' && s.name === 'system:masters' ? 'binds the group system:masters' : undefined),
);

export const noAnonymousBindings = bindingControl(
  {
    id: 'rbac/no-anonymous-bindings',
    title: 'Roles must not be bound to anonymous or all authenticated users',
    severity: 'critical',
    rationale:
      'system:anonymous and system:unauthenticated are anyone who can reach the API; system:authenticated is anyone with any credential.',
    remediation: 'Bind the role to the specific users, groups or service accounts that need it.',
    frameworks: [RBAC_NSA, mitre('T1078')],
  },
  (s, role) => (PUBLIC.includes(s.name) ? `grants ${role.kind} ${role.name} to ${s.name}` : undefined),
);

export const BINDING_CONTROLS: readonly Control[] = [
  noClusterAdminBinding,
  noSystemMasters,
  noAnonymousBindings,
];
