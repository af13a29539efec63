/**
 * Role and ClusterRole rule controls (CIS 5.1.x). Each fails once per rule of a
 * user-defined role that grants the access, with the path `rules[i]`; roles shipped by
 * Kubernetes are skipped (see isBuiltInRole). Semantics of matching: see rules.ts.
 *
 * - rbac/no-wildcards (5.1.3): `*` in verbs, resources or apiGroups.
 * - rbac/secrets-read (5.1.2): get, list or watch on secrets (rules narrowed by resourceNames pass).
 * - rbac/create-pods (5.1.4): create on pods or on any controller that creates pods.
 * - rbac/pods-exec-attach (5.1.4): create or get on pods/exec, pods/attach, pods/portforward;
 *   also a binding giving the bootstrap ClusterRole admin or edit to a non-system subject.
 * - rbac/bind-escalate-impersonate (5.1.8): bind or escalate on roles, impersonate on subjects.
 * - rbac/persistent-volumes (5.1.9): create on persistentvolumes.
 * - rbac/nodes-proxy (5.1.10): any verb on nodes/proxy.
 * - rbac/csr-approval (5.1.11): update or patch on certificatesigningrequests/approval.
 * - rbac/webhook-config (5.1.12): create, update, patch or delete on admission webhook configurations.
 * - rbac/token-create (5.1.13): create on serviceaccounts/token.
 */
import { formatRef, type Control, type Severity } from '../../core/index.js';
import { cis, mitre, nsa } from '../support.js';
import {
  describeRule,
  isBuiltInRole,
  roleRefOf,
  ruleViolations,
  rulesOf,
  subjectsOf,
  type Grant,
} from './rules.js';

const ROLE_KINDS = ['ClusterRole', 'Role'];
const BINDING_KINDS = ['ClusterRoleBinding', 'RoleBinding'];
const RBAC_NSA = nsa('Authentication and authorization: role-based access control');

interface RuleControlSpec {
  id: string;
  title: string;
  severity: Severity;
  cis: string;
  mitre: string;
  rationale: string;
  remediation: string;
  want: readonly Grant[];
  skipNamed?: boolean;
}

function ruleControl(spec: RuleControlSpec): Control {
  return {
    id: spec.id,
    title: spec.title,
    severity: spec.severity,
    category: 'rbac',
    appliesTo: { kinds: ROLE_KINDS },
    rationale: spec.rationale,
    remediation: spec.remediation,
    frameworks: [cis(spec.cis), RBAC_NSA, mitre(spec.mitre)],
    check: ({ resource }) => ruleViolations(resource, spec.want, spec.skipNamed ? { skipNamed: true } : {}),
  };
}

export const noWildcards: Control = {
  id: 'rbac/no-wildcards',
  title: 'Roles must not use wildcards in verbs, resources or API groups',
  severity: 'high',
  category: 'rbac',
  appliesTo: { kinds: ROLE_KINDS },
  rationale:
    'A wildcard grants every present and future verb, resource or API group, including ones added by CRDs later.',
  remediation: 'List the verbs, resources and API groups the subject needs explicitly.',
  frameworks: [cis('5.1.3'), RBAC_NSA, mitre('T1078')],
  check({ resource }) {
    if (isBuiltInRole(resource)) return [];
    return rulesOf(resource).flatMap(({ rule, index }) => {
      const fields = (['verbs', 'resources', 'apiGroups'] as const).filter((f) => rule[f].includes('*'));
      return fields.length === 0
        ? []
        : [
            {
              message: `${describeRule(resource, rule, index)} with * in ${fields.join(', ')}`,
              path: `rules[${index}]`,
            },
          ];
    });
  },
};

const READ = ['get', 'list', 'watch'];
const ANY = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** Bootstrap ClusterRoles that grant pods/exec and pods/attach (cluster-admin has its own control). */
const EXEC_BOOTSTRAP_ROLES = ['admin', 'edit'];

const execAttach = ruleControl({
  id: 'rbac/pods-exec-attach',
  title: 'Roles must not grant exec, attach or port-forward into pods',
  severity: 'high',
  cis: '5.1.4',
  mitre: 'T1609',
  rationale: 'exec and attach run commands in a container with its identity and data.',
  remediation:
    'Remove pods/exec, pods/attach and pods/portforward from the role (or bind view instead of edit or admin); use break-glass access for debugging.',
  want: [
    { group: '', resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['create', 'get'] },
  ],
});

/**
 * rbac/pods-exec-attach judges user-defined roles by their rules; the bootstrap ClusterRoles
 * `admin` and `edit` (which grant exec) are exempt as roles, and judged where they are
 * bound instead: a binding (not itself `system:`) that gives one to a non-`system:` subject
 * fails at that subject.
 */
const podsExecAttach: Control = {
  ...execAttach,
  appliesTo: { kinds: [...ROLE_KINDS, ...BINDING_KINDS] },
  check(ctx) {
    const { resource } = ctx;
    if (ROLE_KINDS.includes(resource.ref.kind)) return execAttach.check(ctx);
    if (resource.ref.name.startsWith('system:')) return [];
    const role = roleRefOf(resource);
    if (role?.kind !== 'ClusterRole' || !EXEC_BOOTSTRAP_ROLES.includes(role.name)) return [];
    return subjectsOf(resource)
      .filter((s) => !s.name.startsWith('system:'))
      .map((s) => ({
        message: `${formatRef(resource.ref)} gives ${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name} the built-in ClusterRole ${role.name}, which grants exec and attach into pods`,
        path: `subjects[${s.index}]`,
      }));
  },
};

export const RULE_CONTROLS: readonly Control[] = [
  noWildcards,
  ruleControl({
    id: 'rbac/secrets-read',
    title: 'Roles must not grant read access to Secrets',
    severity: 'high',
    cis: '5.1.2',
    mitre: 'T1552.007',
    rationale:
      'Reading Secrets yields service-account tokens and credentials of everything in scope: escalation by another name.',
    remediation: 'Grant get on named Secrets (resourceNames) only, and never list or watch.',
    want: [{ group: '', resources: ['secrets'], verbs: READ }],
    skipNamed: true,
  }),
  ruleControl({
    id: 'rbac/create-pods',
    title: 'Roles must not grant creating pods or pod controllers',
    severity: 'high',
    cis: '5.1.4',
    mitre: 'T1610',
    rationale:
      'Whoever creates a pod chooses its service account, volumes and security context: every Secret and token of the namespace is theirs.',
    remediation:
      'Deploy through a pipeline identity; grant humans read access, and bind pod creation only where needed, with admission policies.',
    want: [
      { group: '', resources: ['pods', 'replicationcontrollers'], verbs: ['create'] },
      {
        group: 'apps',
        resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
        verbs: ['create'],
      },
      { group: 'batch', resources: ['jobs', 'cronjobs'], verbs: ['create'] },
    ],
  }),
  podsExecAttach,
  ruleControl({
    id: 'rbac/bind-escalate-impersonate',
    title: 'Roles must not grant bind, escalate or impersonate',
    severity: 'critical',
    cis: '5.1.8',
    mitre: 'T1098',
    rationale:
      'bind and escalate bypass RBAC’s own escalation check; impersonate acts as any user, group or service account.',
    remediation: 'Remove these verbs; grant them only to cluster administrators.',
    want: [
      {
        group: 'rbac.authorization.k8s.io',
        resources: ['roles', 'clusterroles'],
        verbs: ['bind', 'escalate'],
      },
      { group: '', resources: ['users', 'groups', 'serviceaccounts'], verbs: ['impersonate'] },
      { group: 'authentication.k8s.io', resources: ['uids'], verbs: ['impersonate'] },
    ],
  }),
  ruleControl({
    id: 'rbac/persistent-volumes',
    title: 'Roles must not grant creating PersistentVolumes',
    severity: 'medium',
    cis: '5.1.9',
    mitre: 'T1611',
    rationale: 'A PersistentVolume can point at a host path and so expose the node filesystem.',
    remediation: 'Let users create PersistentVolumeClaims against StorageClasses instead.',
    want: [{ group: '', resources: ['persistentvolumes'], verbs: ['create'] }],
  }),
  ruleControl({
    id: 'rbac/nodes-proxy',
    title: 'Roles must not grant access to nodes/proxy',
    severity: 'critical',
    cis: '5.1.10',
    mitre: 'T1609',
    rationale:
      'nodes/proxy reaches the kubelet API directly: exec in any pod of the node, outside audit logging and admission.',
    remediation: 'Remove nodes/proxy; scrape metrics through nodes/metrics or the metrics API.',
    want: [{ group: '', resources: ['nodes/proxy'], verbs: ANY }],
  }),
  ruleControl({
    id: 'rbac/csr-approval',
    title: 'Roles must not grant approving certificate signing requests',
    severity: 'high',
    cis: '5.1.11',
    mitre: 'T1078',
    rationale:
      'Approving a CSR mints a client certificate: any identity, including system:masters, for its lifetime.',
    remediation: 'Leave CSR approval to the controller manager and cluster administrators.',
    want: [
      {
        group: 'certificates.k8s.io',
        resources: ['certificatesigningrequests/approval'],
        verbs: ['update', 'patch'],
      },
    ],
  }),
  ruleControl({
    id: 'rbac/webhook-config',
    title: 'Roles must not grant changing admission webhook configurations',
    severity: 'high',
    cis: '5.1.12',
    mitre: 'T1562.001',
    rationale:
      'Whoever edits webhook configurations can switch off admission policy or intercept every object sent to the API.',
    remediation: 'Restrict admissionregistration.k8s.io write access to cluster administrators.',
    want: [
      {
        group: 'admissionregistration.k8s.io',
        resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
        verbs: WRITE,
      },
    ],
  }),
  ruleControl({
    id: 'rbac/token-create',
    title: 'Roles must not grant creating service-account tokens',
    severity: 'high',
    cis: '5.1.13',
    mitre: 'T1528',
    rationale: 'serviceaccounts/token create issues a token for any service account in scope.',
    remediation: 'Remove serviceaccounts/token create; pods receive projected tokens without it.',
    want: [{ group: '', resources: ['serviceaccounts/token'], verbs: ['create'] }],
  }),
];
