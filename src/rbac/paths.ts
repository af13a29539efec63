/**
 * Escalation paths: a graph whose nodes are identities (users, groups, ServiceAccounts) and
 * capabilities (run pods in a namespace, read its Secrets, control it, cluster-admin, node
 * access, admission bypass), and whose edges say how one leads to the next. Edges from an
 * identity come from its bindings and name the binding, role and rule; other edges are facts
 * of how Kubernetes works (a pod can run as any ServiceAccount of its namespace).
 */
import { allBindings, type RbacModel } from './model.js';
import { bindingLabel, roleLabel, type Via } from './queries.js';
import { ruleAllows } from './rules.js';
import type { RbacBinding, RbacRole, RbacSubject } from './types.js';

/** The kinds of edge, with stable codes. */
export const EDGE_KINDS = [
  'member_of',
  'create_pods',
  'create_workloads',
  'exec_pods',
  'use_service_account',
  'mount_secrets',
  'privileged_pod',
  'read_secrets',
  'sa_token_secret',
  'sa_token',
  'runs_as',
  'create_token',
  'mint_token_secret',
  'impersonate',
  'bind_roles',
  'escalate_roles',
  'modify_admission',
  'nodes_proxy',
  'approve_csr',
  'wildcard_admin',
  'controls_namespace',
  'all_namespaces',
] as const;

/** The kind of an edge. */
export type EdgeKind = (typeof EDGE_KINDS)[number];

/** One edge: from, to, why. `via` is set for edges that come from a binding. */
export interface EscalationEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  explain: string;
  via?: Via;
}

/** The escalation graph: node ids to labels, and outgoing and incoming edges. */
export interface EscalationGraph {
  nodes: Map<string, string>;
  out: Map<string, EscalationEdge[]>;
  in: Map<string, EscalationEdge[]>;
  edgeCount: number;
}

/** Targets `paths` looks for by default. */
export const DEFAULT_TARGETS = ['cluster-admin', 'node', 'admission-bypass'] as const;

/** The node id of a subject: `user:NAME`, `group:NAME`, `sa:NS:NAME`. */
export function subjectNodeId(s: RbacSubject, bindingNamespace?: string): string | undefined {
  if (s.kind === 'User') return `user:${s.name}`;
  if (s.kind === 'Group') return `group:${s.name}`;
  const ns = s.namespace ?? bindingNamespace;
  return ns ? `sa:${ns}:${s.name}` : undefined;
}

function labelOf(id: string): string {
  const [kind, ...rest] = id.split(':');
  const tail = rest.join(':');
  switch (kind) {
    case 'user':
      return `User ${tail}`;
    case 'group':
      return `Group ${tail}`;
    case 'sa': {
      const i = tail.indexOf(':');
      return `ServiceAccount ${tail.slice(0, i)}/${tail.slice(i + 1)}`;
    }
    case 'pods':
      return tail === '*' ? 'run pods in every namespace' : `run pods in namespace ${tail}`;
    case 'secrets':
      return tail === '*' ? 'read Secrets in every namespace' : `read Secrets in namespace ${tail}`;
    case 'admin':
      return tail === '*' ? 'full control of every namespace' : `full control of namespace ${tail}`;
    case 'tokens':
      return tail === '*'
        ? 'get a token of any ServiceAccount'
        : `get a token of any ServiceAccount in namespace ${tail}`;
    case 'exec':
      return tail === '*'
        ? 'exec into running pods in every namespace'
        : `exec into running pods in namespace ${tail}`;
    case 'users':
      return 'act as any user';
    case 'cluster-admin':
      return 'cluster-admin (every verb on every resource)';
    case 'node':
      return 'node access (kubelet API or host)';
    case 'admission-bypass':
      return 'admission bypass (disable or rewrite admission control)';
    default:
      return id;
  }
}

const WORKLOADS: readonly [string, string][] = [
  ['apps', 'deployments'],
  ['apps', 'replicasets'],
  ['apps', 'statefulsets'],
  ['apps', 'daemonsets'],
  ['batch', 'jobs'],
  ['batch', 'cronjobs'],
  ['', 'replicationcontrollers'],
];
const ADMISSION: readonly string[] = [
  'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
];
const WRITE_VERBS = ['create', 'update', 'patch', 'delete'] as const;

// One mutable probe: profiles ask tens of thousands of questions and must not allocate for each.
const PROBE = {
  resourceRequest: true as const,
  verb: '',
  apiGroup: '',
  resource: '',
  subresource: '',
  namespace: '',
  name: '',
};

function can(role: RbacRole, verb: string, group: string, resource: string, sub = '', name = ''): boolean {
  PROBE.verb = verb;
  PROBE.apiGroup = group;
  PROBE.resource = resource;
  PROBE.subresource = sub;
  PROBE.name = name;
  for (const r of role.rules) if (ruleAllows(r, PROBE)) return true;
  return false;
}

/** Names a verb on a resource reaches: 'all', or the listed resourceNames. */
function namesFor(role: RbacRole, verb: string, group: string, resource: string, sub = ''): 'all' | string[] {
  const names = new Set<string>();
  for (const r of role.rules) {
    const probe = { ...r, resourceNames: [] };
    const attrs = {
      resourceRequest: true as const,
      verb,
      apiGroup: group,
      resource,
      subresource: sub,
      namespace: '',
      name: '',
    };
    if (!ruleAllows(probe, attrs)) continue;
    if (r.resourceNames.length === 0) return 'all';
    for (const n of r.resourceNames) names.add(n);
  }
  return [...names];
}

interface Profile {
  wildcard: boolean;
  createPods: boolean;
  workloads: string[];
  exec: boolean;
  readSecrets: boolean;
  createSecrets: boolean;
  createToken: 'all' | string[];
  impersonate: { users: 'all' | string[]; groups: 'all' | string[]; serviceaccounts: 'all' | string[] };
  bindRoles: boolean;
  escalateRoles: boolean;
  bindClusterScope: boolean;
  escalateClusterScope: boolean;
  admission: string[];
  nodesProxy: boolean;
  approveCsr: boolean;
}

function profileOf(role: RbacRole): Profile {
  const rbac = 'rbac.authorization.k8s.io';
  const bindAny = can(role, 'bind', rbac, 'clusterroles') || can(role, 'bind', rbac, 'roles');
  const escalateAny = can(role, 'escalate', rbac, 'clusterroles') || can(role, 'escalate', rbac, 'roles');
  return {
    wildcard: can(role, '*', '*', '*'),
    createPods: can(role, 'create', '', 'pods'),
    workloads: WORKLOADS.filter(
      ([g, r]) => can(role, 'create', g, r) || can(role, 'update', g, r) || can(role, 'patch', g, r),
    ).map(([, r]) => r),
    exec:
      can(role, 'create', '', 'pods', 'exec') ||
      can(role, 'create', '', 'pods', 'attach') ||
      can(role, 'patch', '', 'pods', 'ephemeralcontainers') ||
      can(role, 'update', '', 'pods', 'ephemeralcontainers'),
    readSecrets:
      can(role, 'get', '', 'secrets') ||
      can(role, 'list', '', 'secrets') ||
      can(role, 'watch', '', 'secrets'),
    createSecrets:
      can(role, 'create', '', 'secrets') &&
      (can(role, 'get', '', 'secrets') || can(role, 'list', '', 'secrets')),
    createToken: namesFor(role, 'create', '', 'serviceaccounts', 'token'),
    impersonate: {
      users: namesFor(role, 'impersonate', '', 'users'),
      groups: namesFor(role, 'impersonate', '', 'groups'),
      serviceaccounts: namesFor(role, 'impersonate', '', 'serviceaccounts'),
    },
    bindRoles: bindAny && can(role, 'create', rbac, 'rolebindings'),
    escalateRoles:
      escalateAny &&
      (can(role, 'update', rbac, 'roles') ||
        can(role, 'patch', rbac, 'roles') ||
        can(role, 'create', rbac, 'roles')),
    bindClusterScope:
      can(role, 'bind', rbac, 'clusterroles') && can(role, 'create', rbac, 'clusterrolebindings'),
    escalateClusterScope:
      can(role, 'escalate', rbac, 'clusterroles') &&
      (can(role, 'update', rbac, 'clusterroles') || can(role, 'patch', rbac, 'clusterroles')),
    admission: ADMISSION.filter((r) =>
      WRITE_VERBS.some((v) => can(role, v, 'admissionregistration.k8s.io', r)),
    ),
    nodesProxy: can(role, 'get', '', 'nodes', 'proxy') || can(role, 'create', '', 'nodes', 'proxy'),
    approveCsr:
      can(role, 'create', 'certificates.k8s.io', 'certificatesigningrequests') &&
      (can(role, 'update', 'certificates.k8s.io', 'certificatesigningrequests', 'approval') ||
        can(role, 'patch', 'certificates.k8s.io', 'certificatesigningrequests', 'approval')) &&
      can(role, 'approve', 'certificates.k8s.io', 'signers', '', 'kubernetes.io/kube-apiserver-client'),
  };
}

const ENFORCING = new Set(['baseline', 'restricted']);

/** Builds the escalation graph of a model. */
export function buildEscalationGraph(model: RbacModel): EscalationGraph {
  const g: EscalationGraph = { nodes: new Map(), out: new Map(), in: new Map(), edgeCount: 0 };
  const node = (id: string): string => {
    if (!g.nodes.has(id)) g.nodes.set(id, labelOf(id));
    return id;
  };
  const seenEdges = new Set<string>();
  const edge = (from: string, to: string, kind: EdgeKind, explain: string, via?: Via): void => {
    const k = `${from}\u0000${to}\u0000${kind}`;
    if (seenEdges.has(k)) return;
    seenEdges.add(k);
    node(from);
    node(to);
    const e: EscalationEdge = via ? { from, to, kind, explain, via } : { from, to, kind, explain };
    push(g.out, from, e);
    push(g.in, to, e);
    g.edgeCount++;
  };

  const sasByNs = new Map<string, string[]>();
  for (const info of model.serviceAccounts.values()) push(sasByNs, info.namespace, info.name);

  // Facts of Kubernetes, per namespace.
  for (const ns of model.namespaces) {
    for (const name of sasByNs.get(ns) ?? []) {
      const info = model.serviceAccounts.get(`${ns}/${name}`);
      const sa = `sa:${ns}:${name}`;
      edge(
        `pods:${ns}`,
        sa,
        'use_service_account',
        `a pod in ${ns} may set serviceAccountName: ${name} and use its token`,
      );
      edge(`tokens:${ns}`, sa, 'sa_token', `a token of ${ns}/${name} authenticates as it`);
      if (info && info.usedBy.length > 0)
        edge(
          `exec:${ns}`,
          sa,
          'runs_as',
          `${info.usedBy.join(', ')} in ${ns} run${info.usedBy.length === 1 ? 's' : ''} as ${name}`,
        );
      if (info && info.tokenSecrets.length > 0)
        edge(
          `secrets:${ns}`,
          sa,
          'sa_token_secret',
          `Secret ${ns}/${info.tokenSecrets.join(', ')} holds a token of ${name}`,
        );
    }
    edge(`pods:${ns}`, `secrets:${ns}`, 'mount_secrets', `a pod in ${ns} may mount any Secret of ${ns}`);
    const enforce = model.namespaceLabels.get(ns)?.['pod-security.kubernetes.io/enforce'];
    if (!enforce || !ENFORCING.has(enforce))
      edge(
        `pods:${ns}`,
        'node',
        'privileged_pod',
        `namespace ${ns} enforces no Pod Security level (${enforce ?? 'no label'}): a privileged pod with a hostPath mount takes over its node`,
      );
    edge(`admin:${ns}`, `pods:${ns}`, 'controls_namespace', `full control of ${ns} includes creating pods`);
    edge(
      `admin:${ns}`,
      `secrets:${ns}`,
      'controls_namespace',
      `full control of ${ns} includes reading Secrets`,
    );
    for (const wide of ['pods', 'secrets', 'admin', 'tokens', 'exec'])
      edge(`${wide}:*`, `${wide}:${ns}`, 'all_namespaces', `every namespace includes ${ns}`);
  }
  edge('cluster-admin', 'admin:*', 'controls_namespace', 'cluster-admin controls every namespace');
  edge(
    'cluster-admin',
    'admission-bypass',
    'controls_namespace',
    'cluster-admin may change admission configuration',
  );
  edge('cluster-admin', 'node', 'nodes_proxy', 'cluster-admin may use nodes/proxy');

  // Implicit groups.
  const identities = new Set<string>();
  for (const b of allBindings(model))
    for (const s of b.subjects) {
      const id = subjectNodeId(s, b.namespace);
      if (id) identities.add(id);
    }
  for (const info of model.serviceAccounts.values()) identities.add(`sa:${info.namespace}:${info.name}`);
  for (const id of identities) {
    node(id);
    if (id.startsWith('user:')) {
      edge('users:*', id, 'impersonate', `acting as any user includes ${id.slice(5)}`);
      const name = id.slice(5);
      const group = name === 'system:anonymous' ? 'system:unauthenticated' : 'system:authenticated';
      edge(
        id,
        `group:${group}`,
        'member_of',
        `every ${group === 'system:authenticated' ? 'authenticated ' : 'anonymous '}user is in ${group}`,
      );
    } else if (id.startsWith('sa:')) {
      const ns = id.split(':')[1] ?? '';
      edge(
        id,
        'group:system:serviceaccounts',
        'member_of',
        'every ServiceAccount is in system:serviceaccounts',
      );
      edge(
        id,
        `group:system:serviceaccounts:${ns}`,
        'member_of',
        `every ServiceAccount of ${ns} is in system:serviceaccounts:${ns}`,
      );
      edge(id, 'group:system:authenticated', 'member_of', 'every ServiceAccount is authenticated');
    }
  }

  // Workloads' service accounts (for exec).
  const runningByNs = new Map<string, string[]>();
  for (const info of model.serviceAccounts.values())
    if (info.usedBy.length > 0) push(runningByNs, info.namespace, info.name);

  const profiles = new Map<RbacRole, Profile>();
  for (const b of allBindings(model)) {
    const role = b.role;
    if (!role || b.subjects.length === 0) continue;
    let p = profiles.get(role);
    if (!p) {
      p = profileOf(role);
      profiles.set(role, p);
    }
    addBindingEdges(b, role, p, model, edge);
  }
  return g;
}

function addBindingEdges(
  b: RbacBinding,
  role: RbacRole,
  p: Profile,
  model: RbacModel,
  edge: (from: string, to: string, kind: EdgeKind, explain: string, via?: Via) => void,
): void {
  const via = { binding: bindingLabel(b), role: roleLabel(role) };
  const cluster = b.namespace === undefined;
  const scope = b.namespace ?? '*';
  const where = cluster ? 'in every namespace' : `in namespace ${scope}`;
  const add = (to: string, kind: EdgeKind, explain: string): void => {
    for (const s of b.subjects) {
      const from = subjectNodeId(s, b.namespace);
      if (from) edge(from, to, kind, explain, via);
    }
  };
  if (p.wildcard) {
    if (cluster) add('cluster-admin', 'wildcard_admin', 'holds every verb on every resource cluster-wide');
    else add(`admin:${scope}`, 'wildcard_admin', `holds every verb on every resource ${where}`);
  }
  if (p.createPods) add(`pods:${scope}`, 'create_pods', `may create pods ${where}`);
  if (p.workloads.length > 0)
    add(
      `pods:${scope}`,
      'create_workloads',
      `may create or change ${p.workloads.join(', ')} ${where}, whose pods run as any ServiceAccount there`,
    );
  if (p.exec) add(`exec:${scope}`, 'exec_pods', `may exec into running pods ${where}`);
  if (p.readSecrets) add(`secrets:${scope}`, 'read_secrets', `may read Secrets ${where}`);
  if (p.createSecrets)
    add(
      `tokens:${scope}`,
      'mint_token_secret',
      `may create a service-account-token Secret ${where} and read the token the controller fills in`,
    );
  if (p.createToken === 'all')
    add(`tokens:${scope}`, 'create_token', `may create tokens (serviceaccounts/token) ${where}`);
  else
    for (const name of p.createToken) {
      const namespaces = cluster ? model.namespaces : [scope];
      for (const ns of namespaces)
        if (model.serviceAccounts.has(`${ns}/${name}`))
          add(
            `sa:${ns}:${name}`,
            'create_token',
            `may create tokens (serviceaccounts/token) for ${ns}/${name}`,
          );
    }
  if (cluster) {
    const imp = p.impersonate;
    if (imp.groups === 'all')
      add('cluster-admin', 'impersonate', 'may impersonate any group, including system:masters');
    else
      for (const gname of imp.groups)
        add(
          gname === 'system:masters' ? 'cluster-admin' : `group:${gname}`,
          'impersonate',
          `may impersonate group ${gname}`,
        );
    const users = imp.users;
    if (users === 'all') {
      add('users:*', 'impersonate', 'may impersonate any user');
      add('tokens:*', 'impersonate', 'may impersonate any user, ServiceAccounts included');
    } else
      for (const u of users) {
        const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(u);
        if (sa) add(`sa:${sa[1] ?? ''}:${sa[2] ?? ''}`, 'impersonate', `may impersonate ${u}`);
        else add(`user:${u}`, 'impersonate', `may impersonate user ${u}`);
      }
    if (imp.serviceaccounts === 'all') add('tokens:*', 'impersonate', 'may impersonate any ServiceAccount');
    else
      for (const info of model.serviceAccounts.values())
        if (imp.serviceaccounts.includes(info.name))
          add(
            `sa:${info.namespace}:${info.name}`,
            'impersonate',
            `may impersonate ServiceAccount ${info.namespace}/${info.name}`,
          );
    if (p.bindClusterScope)
      add(
        'cluster-admin',
        'bind_roles',
        'may bind any ClusterRole (bind) with a ClusterRoleBinding, including cluster-admin',
      );
    if (p.escalateClusterScope)
      add('cluster-admin', 'escalate_roles', 'may add any rule to ClusterRoles (escalate) bound to itself');
    if (p.admission.length > 0)
      add(
        'admission-bypass',
        'modify_admission',
        `may change ${p.admission.join(', ')}: can switch admission enforcement off or rewrite objects`,
      );
    if (p.nodesProxy)
      add(
        'node',
        'nodes_proxy',
        'may reach the kubelet API through nodes/proxy (exec into any pod on a node)',
      );
    if (p.approveCsr)
      add(
        'cluster-admin',
        'approve_csr',
        'may create and approve a client CertificateSigningRequest for a system:masters identity',
      );
  } else {
    const imp = p.impersonate;
    if (imp.serviceaccounts === 'all')
      add(`tokens:${scope}`, 'impersonate', `may impersonate any ServiceAccount of ${scope}`);
    else
      for (const name of imp.serviceaccounts)
        if (model.serviceAccounts.has(`${scope}/${name}`))
          add(`sa:${scope}:${name}`, 'impersonate', `may impersonate ServiceAccount ${scope}/${name}`);
  }
  if (p.bindRoles && !(cluster && p.bindClusterScope))
    add(
      `admin:${scope}`,
      'bind_roles',
      `may bind any role (bind) with a RoleBinding ${where}, including admin or cluster-admin`,
    );
  if (p.escalateRoles && !(cluster && p.escalateClusterScope))
    add(`admin:${scope}`, 'escalate_roles', `may add any rule to Roles (escalate) ${where}`);
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** One shortest path from a source to a target. */
export interface EscalationPath {
  from: string;
  fromLabel: string;
  to: string;
  toLabel: string;
  hops: EscalationEdge[];
  /** For a group's path: identities whose own shortest path is membership of this group plus this path (listed here instead of repeated). */
  members?: string[];
}

/** Options of {@link findPaths}. */
export interface FindPathsOptions {
  /** Node ids to start from; default every user, group and ServiceAccount. */
  from?: readonly string[];
  /** Target node ids; default {@link DEFAULT_TARGETS}. */
  to?: readonly string[];
}

/**
 * Finds, for every source and target, one shortest path (fewest hops), by a breadth-first
 * search backwards from each target, so the cost is one pass over the graph per target.
 * Paths are sorted by target, then length, then source.
 */
export function findPaths(graph: EscalationGraph, options: FindPathsOptions = {}): EscalationPath[] {
  const targets = options.to ?? DEFAULT_TARGETS;
  const sources =
    options.from ??
    [...graph.nodes.keys()].filter(
      (id) => id.startsWith('user:') || id.startsWith('group:') || id.startsWith('sa:'),
    );
  const out: EscalationPath[] = [];
  for (const target of targets) {
    if (!graph.nodes.has(target)) continue;
    const next = new Map<string, EscalationEdge | null>([[target, null]]);
    const queue = [target];
    for (let i = 0; i < queue.length; i++) {
      const cur = queue[i] ?? '';
      for (const e of graph.in.get(cur) ?? []) {
        if (next.has(e.from)) continue;
        next.set(e.from, e);
        queue.push(e.from);
      }
    }
    for (const s of sources) {
      if (s === target || !next.has(s)) continue;
      const hops: EscalationEdge[] = [];
      let cur = s;
      for (let e = next.get(cur); e; e = next.get(cur)) {
        hops.push(e);
        cur = e.to;
      }
      out.push({
        from: s,
        fromLabel: graph.nodes.get(s) ?? s,
        to: target,
        toLabel: graph.nodes.get(target) ?? target,
        hops,
      });
    }
  }
  const sorted = out.sort(
    (a, b) => a.to.localeCompare(b.to) || a.hops.length - b.hops.length || a.from.localeCompare(b.from),
  );
  if (options.from) return sorted;
  // Without explicit sources, a path that only adds "member of G" in front of G's own path is
  // folded into G's path as a member, so one weak group does not repeat for every identity.
  const byKey = new Map(sorted.map((p) => [`${p.from}\u0000${p.to}`, p]));
  return sorted.filter((p) => {
    const first = p.hops[0];
    if (first?.kind !== 'member_of' || p.hops.length < 2) return true;
    const groupPath = byKey.get(`${first.to}\u0000${p.to}`);
    if (!groupPath || groupPath.hops.length !== p.hops.length - 1) return true;
    (groupPath.members ??= []).push(p.from);
    return false;
  });
}

const SCOPED_NODES = new Set(['pods', 'secrets', 'admin', 'tokens', 'exec']);

/** The namespace a node id belongs to (`sa:NS:NAME`, `pods:NS`, …); undefined for cluster-wide ones and `*`. */
export function nodeNamespace(id: string): string | undefined {
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  const kind = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  if (kind === 'sa') {
    const ns = rest.slice(0, rest.indexOf(':'));
    return ns === '' ? undefined : ns;
  }
  return SCOPED_NODES.has(kind) && rest !== '*' && rest !== '' ? rest : undefined;
}

/**
 * The paths that concern one namespace (`rbac paths -n NS`): those that start from one of its
 * ServiceAccounts (or a group's path one of them shares), reach or pass a node of it (its
 * pods, Secrets, tokens, exec, full control, one of its ServiceAccounts), or use a grant of a
 * RoleBinding in it. Grants to every namespace alone do not make a path concern NS.
 */
export function pathsInNamespace(paths: readonly EscalationPath[], namespace: string): EscalationPath[] {
  const inNs = (id: string): boolean => nodeNamespace(id) === namespace;
  const prefix = `RoleBinding/${namespace}/`;
  return paths.filter(
    (p) =>
      inNs(p.from) ||
      inNs(p.to) ||
      (p.members ?? []).some(inNs) ||
      p.hops.some((h) => inNs(h.from) || inNs(h.to) || (h.via?.binding.startsWith(prefix) ?? false)),
  );
}

/** Renders paths as text, every hop explained. */
export function renderPathsText(paths: readonly EscalationPath[], graph: EscalationGraph): string {
  if (paths.length === 0) return 'No escalation paths found.\n';
  const lines: string[] = [];
  for (const p of paths) {
    lines.push(`${p.fromLabel} → ${p.toLabel} (${p.hops.length} hop${p.hops.length === 1 ? '' : 's'})`);
    p.hops.forEach((h, i) => {
      const via = h.via ? ` [${h.via.binding} → ${h.via.role}]` : '';
      lines.push(
        `  ${i + 1}. ${graph.nodes.get(h.from) ?? h.from} → ${graph.nodes.get(h.to) ?? h.to}: ${h.explain} (${h.kind})${via}`,
      );
    });
    if (p.members && p.members.length > 0)
      lines.push(`  (also every member of it: ${p.members.map((m) => graph.nodes.get(m) ?? m).join(', ')})`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Renders paths as a Graphviz DOT digraph of the nodes and edges they use. */
export function renderPathsDot(paths: readonly EscalationPath[], graph: EscalationGraph): string {
  const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const nodes = new Set<string>();
  const edges = new Map<string, EscalationEdge>();
  for (const p of paths)
    for (const h of p.hops) {
      nodes.add(h.from);
      nodes.add(h.to);
      edges.set(`${h.from}\u0000${h.to}\u0000${h.kind}`, h);
    }
  const lines = ['digraph escalation {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
  for (const n of [...nodes].sort()) {
    const target = (DEFAULT_TARGETS as readonly string[]).includes(n) || n.startsWith('secrets:');
    lines.push(
      `  ${q(n)} [label=${q(graph.nodes.get(n) ?? n)}${target ? ', style=filled, fillcolor="#f4cccc"' : ''}];`,
    );
  }
  for (const e of edges.values()) lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.kind)}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function escapeHtmlText(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Renders paths as one self-contained HTML page (no network): a summary per target and,
 * for every path, its hops with the binding and role that grant each and the explanation.
 */
export function renderPathsHtml(paths: readonly EscalationPath[], graph: EscalationGraph): string {
  const e = escapeHtmlText;
  const label = (id: string): string => graph.nodes.get(id) ?? id;
  const targets = new Map<string, number>();
  for (const p of paths) targets.set(p.toLabel, (targets.get(p.toLabel) ?? 0) + 1);
  const summary = [...targets]
    .map(([t, n]) => `<li><strong>${e(t)}</strong>: ${n} path${n === 1 ? '' : 's'}</li>`)
    .join('');
  const sections = paths.map((p) => {
    const hops = p.hops
      .map((h) => {
        const via = h.via ? ` <small>via ${e(h.via.binding)} → ${e(h.via.role)}</small>` : '';
        return `<li><code>${e(label(h.from))}</code> → <code>${e(label(h.to))}</code>: ${e(h.explain)} <span class="kind">${e(h.kind)}</span>${via}</li>`;
      })
      .join('');
    const members =
      p.members && p.members.length > 0
        ? `<p class="members">Also every member: ${p.members.map((m) => e(label(m))).join(', ')}</p>`
        : '';
    return `<section class="path" data-target="${e(p.to)}"><h2>${e(p.fromLabel)} → ${e(p.toLabel)} <small>(${p.hops.length} hop${p.hops.length === 1 ? '' : 's'})</small></h2><ol>${hops}</ol>${members}</section>`;
  });
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>Palisade RBAC escalation paths</title>',
    '<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}section.path{border:1px solid #ddd;border-radius:6px;padding:0 1rem;margin:1rem 0}.kind{font-family:monospace;background:#f4cccc;padding:0 .3rem;border-radius:3px}small{color:#555}</style>',
    '</head><body>',
    '<h1>RBAC escalation paths</h1>',
    paths.length === 0
      ? '<p>No escalation paths found.</p>'
      : `<p>${paths.length} shortest path${paths.length === 1 ? '' : 's'}.</p><ul>${summary}</ul>`,
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}
