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
 * - rbac/dangling-binding: a binding's `roleRef` names a Role (in the binding's namespace) or
 *   a ClusterRole that the input does not hold. It grants nothing today, and whoever later
 *   creates a role of that name grants it, unreviewed, to the binding's subjects. Roles that
 *   Kubernetes creates on every cluster (`admin`, `edit`, `view`, `cluster-admin`,
 *   `system:*` ClusterRoles) are never dangling. In a live scan the input is the server's
 *   roles, so only a role missing on the server is reported.
 */
import type { Control, Violation } from '../../core/index.js';
import { formatRef } from '../../core/index.js';
import { cis, mitre, nsa } from '../support.js';
import { isBootstrapRoleName, roleRefOf, subjectsOf, type SubjectLike } from './rules.js';

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

export const danglingBinding: Control = {
  id: 'rbac/dangling-binding',
  title: 'Bindings must refer to a role that exists',
  severity: 'medium',
  category: 'rbac',
  appliesTo: { kinds: BINDING_KINDS, needsCluster: true },
  rationale:
    'A binding to a missing role is a grant waiting to happen: whoever creates a role of that name hands its rights to the subjects, outside any review of the binding.',
  remediation: 'Delete the binding, or create the role it names in the same change so both are reviewed.',
  frameworks: [RBAC_NSA, mitre('T1098')],
  check({ resource, inventory }) {
    const role = roleRefOf(resource);
    if (!role || isBootstrapRoleName(role.kind, role.name)) return [];
    const ns = role.kind === 'Role' ? resource.ref.namespace : undefined;
    if (role.kind !== 'Role' && role.kind !== 'ClusterRole') return [];
    if (inventory.get(role.kind, ns, role.name)) return [];
    return [
      {
        message: `${formatRef(resource.ref)} refers to ${role.kind} ${ns ? `${ns}/` : ''}${role.name}, which does not exist`,
        path: 'roleRef.name',
      },
    ];
  },
};

export const BINDING_CONTROLS: readonly Control[] = [
  noClusterAdminBinding,
  noSystemMasters,
  noAnonymousBindings,
  danglingBinding,
];
