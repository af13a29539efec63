/**
 * Compiles networking.k8s.io/v1 NetworkPolicy objects once, with every problem reported as
 * data (field path and file position), into a form the reachability engine evaluates.
 *
 * Semantics implemented here (Kubernetes API reference, NetworkPolicySpec):
 * - `policyTypes` absent: Ingress always, Egress only when `egress` has at least one rule.
 * - A direction not in `policyTypes` is ignored, even when rules for it are written.
 * - `from`/`to` absent or empty: the rule matches every source/destination (pods and external).
 * - `ports` absent or empty: the rule matches every protocol and port.
 * - A port entry without `port` matches every port of its protocol; `protocol` defaults to TCP.
 * - `endPort` makes `port`..`endPort` a range and requires a numeric `port`.
 * - A peer with only `podSelector` selects pods of the policy's namespace; with only
 *   `namespaceSelector`, every pod of the selected namespaces; with both, the intersection.
 * - `ipBlock` selects addresses outside the cluster: `cidr` minus every `except`.
 */
import {
  type LabelSelector,
  type LabelSelectorRequirement,
  type Resource,
  type ResourceRef,
} from '../core/index.js';
import { ConnSet, isProtocol, type Protocol } from './conn-set.js';
import { ipSetOf, parseCidr, subtractIps, type IpInterval, type IpSet } from './ip-set.js';

/** A problem in a policy, with where it is. */
export interface PolicyIssue {
  resource: ResourceRef;
  file?: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
}

/** A label selector plus a stable key (equal selectors share cached matches). */
export interface CompiledSelector {
  selector: LabelSelector;
  key: string;
  /** True when it matches everything (`{}`). */
  matchesAll: boolean;
}

/** A named port a rule refers to, resolved against the destination pod's container ports. */
export interface NamedPort {
  name: string;
  protocol: Protocol;
}

/** The ports of a rule: fixed ranges, plus named ports to resolve per destination pod. */
export interface CompiledPorts {
  fixed: ConnSet;
  named: readonly NamedPort[];
}

/** One peer of a rule. */
export type CompiledPeer =
  | {
      kind: 'pods';
      path: string;
      /** Absent: all pods of the selected namespaces. */
      podSelector?: CompiledSelector;
      /** Absent: the policy's own namespace only. */
      namespaceSelector?: CompiledSelector;
    }
  | { kind: 'ipBlock'; path: string; cidr: string; except: string[]; ips: IpSet };

/** One ingress or egress rule. */
export interface CompiledRule {
  index: number;
  /** Field path of the rule, e.g. `spec.ingress[0]`. */
  path: string;
  /** `all`: `from`/`to` absent or empty. */
  peers: 'all' | CompiledPeer[];
  ports: CompiledPorts;
}

/** A compiled NetworkPolicy; a direction is absent when the policy does not affect it. */
export interface CompiledPolicy {
  /** Position in the policy list; stable id within one analysis. */
  id: number;
  resource: Resource;
  namespace: string;
  name: string;
  podSelector: CompiledSelector;
  ingress?: CompiledRule[];
  egress?: CompiledRule[];
}

/** Result of compiling every NetworkPolicy of an inventory. */
export interface CompiledPolicies {
  policies: CompiledPolicy[];
  issues: PolicyIssue[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Canonical key of a selector, independent of key order. */
export function selectorKey(sel: LabelSelector): string {
  const labels = Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const exprs = (sel.matchExpressions ?? [])
    .map((e) => `${e.key} ${e.operator} ${[...(e.values ?? [])].sort().join(',')}`)
    .sort();
  return JSON.stringify([labels, exprs]);
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Namespace a policy applies in when the manifest has none. */
export const DEFAULT_NAMESPACE = 'default';

/** Compiles every NetworkPolicy among the resources; problems are collected, never thrown. */
export function compilePolicies(resources: readonly Resource[]): CompiledPolicies {
  const out: CompiledPolicies = { policies: [], issues: [] };
  for (const r of resources) {
    if (r.object.kind !== 'NetworkPolicy' || !r.object.apiVersion.startsWith('networking.k8s.io/')) continue;
    const p = compilePolicy(r, out.policies.length, out.issues);
    if (p) out.policies.push(p);
  }
  return out;
}

function compilePolicy(r: Resource, id: number, issues: PolicyIssue[]): CompiledPolicy | undefined {
  const issue = (path: string, message: string): void => {
    const pos = r.source?.locate(path);
    issues.push({
      resource: r.ref,
      ...(r.source ? { file: r.source.file } : {}),
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      path,
      message,
    });
  };
  const spec = r.object.spec;
  if (!isRecord(spec)) {
    issue('spec', 'NetworkPolicy has no spec');
    return undefined;
  }
  const before = issues.length;
  const podSelector = compileSelector(spec.podSelector ?? {}, 'spec.podSelector', issue);
  const types = policyTypesOf(spec, issue);
  const ingressRules = compileRules(spec.ingress, 'ingress', issue);
  const egressRules = compileRules(spec.egress, 'egress', issue);
  if (issues.length > before || !podSelector) return undefined;
  const policy: CompiledPolicy = {
    id,
    resource: r,
    namespace: r.ref.namespace ?? DEFAULT_NAMESPACE,
    name: r.ref.name,
    podSelector,
  };
  if (types.ingress) policy.ingress = ingressRules;
  if (types.egress) policy.egress = egressRules;
  return policy;
}

type IssueFn = (path: string, message: string) => void;

/** Applies the API server's defaulting of `policyTypes`. */
function policyTypesOf(spec: Record<string, unknown>, issue: IssueFn): { ingress: boolean; egress: boolean } {
  const t = spec.policyTypes;
  if (t === undefined || t === null || (Array.isArray(t) && t.length === 0)) {
    return { ingress: true, egress: Array.isArray(spec.egress) && spec.egress.length > 0 };
  }
  if (!Array.isArray(t)) {
    issue('spec.policyTypes', 'policyTypes must be a list');
    return { ingress: false, egress: false };
  }
  const out = { ingress: false, egress: false };
  t.forEach((v, i) => {
    if (v === 'Ingress') out.ingress = true;
    else if (v === 'Egress') out.egress = true;
    else
      issue(
        `spec.policyTypes[${i}]`,
        `policyTypes entries must be Ingress or Egress (got ${JSON.stringify(v)})`,
      );
  });
  return out;
}

function compileSelector(raw: unknown, path: string, issue: IssueFn): CompiledSelector | undefined {
  if (raw === null) raw = {};
  if (!isRecord(raw)) {
    issue(path, 'a label selector must be an object');
    return undefined;
  }
  const sel: LabelSelector = {};
  const ml = raw.matchLabels;
  if (ml !== undefined && ml !== null) {
    if (!isRecord(ml) || !Object.values(ml).every((v) => typeof v === 'string')) {
      issue(`${path}.matchLabels`, 'matchLabels must map label keys to string values');
      return undefined;
    }
    sel.matchLabels = ml as Record<string, string>;
  }
  const me = raw.matchExpressions;
  if (me !== undefined && me !== null) {
    if (!Array.isArray(me)) {
      issue(`${path}.matchExpressions`, 'matchExpressions must be a list');
      return undefined;
    }
    const reqs: LabelSelectorRequirement[] = [];
    let bad = false;
    me.forEach((e, i) => {
      const p = `${path}.matchExpressions[${i}]`;
      if (!isRecord(e) || typeof e.key !== 'string' || typeof e.operator !== 'string') {
        issue(p, 'a requirement needs a key and an operator');
        bad = true;
        return;
      }
      if (!OPERATORS.has(e.operator)) {
        issue(`${p}.operator`, `operator must be In, NotIn, Exists or DoesNotExist (got "${e.operator}")`);
        bad = true;
        return;
      }
      const values = Array.isArray(e.values)
        ? e.values.filter((v): v is string => typeof v === 'string')
        : [];
      if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) {
        issue(`${p}.values`, `operator ${e.operator} needs at least one value`);
        bad = true;
        return;
      }
      if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) {
        issue(`${p}.values`, `operator ${e.operator} takes no values`);
        bad = true;
        return;
      }
      reqs.push({ key: e.key, operator: e.operator, values });
    });
    if (bad) return undefined;
    sel.matchExpressions = reqs;
  }
  const matchesAll =
    Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
  return { selector: sel, key: selectorKey(sel), matchesAll };
}

function compileRules(raw: unknown, direction: 'ingress' | 'egress', issue: IssueFn): CompiledRule[] {
  if (raw === undefined || raw === null) return [];
  const base = `spec.${direction}`;
  if (!Array.isArray(raw)) {
    issue(base, `${direction} must be a list of rules`);
    return [];
  }
  const peersField = direction === 'ingress' ? 'from' : 'to';
  const out: CompiledRule[] = [];
  raw.forEach((rule, index) => {
    const path = `${base}[${index}]`;
    if (rule === null) rule = {};
    if (!isRecord(rule)) {
      issue(path, 'a rule must be an object');
      return;
    }
    const peers = compilePeers(rule[peersField], `${path}.${peersField}`, issue);
    const ports = compilePorts(rule.ports, `${path}.ports`, issue);
    if (peers && ports) out.push({ index, path, peers, ports });
  });
  return out;
}

function compilePeers(raw: unknown, path: string, issue: IssueFn): CompiledRule['peers'] | undefined {
  if (raw === undefined || raw === null) return 'all';
  if (!Array.isArray(raw)) {
    issue(path, 'must be a list of peers');
    return undefined;
  }
  if (raw.length === 0) return 'all';
  const peers: CompiledPeer[] = [];
  let bad = false;
  raw.forEach((peer, i) => {
    const p = `${path}[${i}]`;
    if (!isRecord(peer)) {
      issue(p, 'a peer must be an object');
      bad = true;
      return;
    }
    const hasPod = peer.podSelector !== undefined && peer.podSelector !== null;
    const hasNs = peer.namespaceSelector !== undefined && peer.namespaceSelector !== null;
    const hasIp = peer.ipBlock !== undefined && peer.ipBlock !== null;
    if (hasIp && (hasPod || hasNs)) {
      issue(p, 'ipBlock cannot be combined with podSelector or namespaceSelector');
      bad = true;
      return;
    }
    if (!hasIp && !hasPod && !hasNs) {
      issue(p, 'a peer must set podSelector, namespaceSelector or ipBlock');
      bad = true;
      return;
    }
    if (hasIp) {
      const block = compileIpBlock(peer.ipBlock, `${p}.ipBlock`, issue);
      if (!block) bad = true;
      else peers.push({ kind: 'ipBlock', path: p, ...block });
      return;
    }
    const podSelector = hasPod ? compileSelector(peer.podSelector, `${p}.podSelector`, issue) : undefined;
    const namespaceSelector = hasNs
      ? compileSelector(peer.namespaceSelector, `${p}.namespaceSelector`, issue)
      : undefined;
    if ((hasPod && !podSelector) || (hasNs && !namespaceSelector)) {
      bad = true;
      return;
    }
    peers.push({
      kind: 'pods',
      path: p,
      ...(podSelector ? { podSelector } : {}),
      ...(namespaceSelector ? { namespaceSelector } : {}),
    });
  });
  return bad ? undefined : peers;
}

function compileIpBlock(
  raw: unknown,
  path: string,
  issue: IssueFn,
): { cidr: string; except: string[]; ips: IpSet } | undefined {
  if (!isRecord(raw) || typeof raw.cidr !== 'string') {
    issue(path, 'ipBlock needs a cidr');
    return undefined;
  }
  const cidr = parseCidr(raw.cidr);
  if (!cidr.ok) {
    issue(`${path}.cidr`, cidr.error);
    return undefined;
  }
  const except: string[] = [];
  const v4: IpInterval[] = [];
  const v6: IpInterval[] = [];
  const exceptRaw = raw.except ?? [];
  if (!Array.isArray(exceptRaw)) {
    issue(`${path}.except`, 'except must be a list of CIDRs');
    return undefined;
  }
  let bad = false;
  exceptRaw.forEach((e, i) => {
    const ep = `${path}.except[${i}]`;
    const c = typeof e === 'string' ? parseCidr(e) : undefined;
    if (!c?.ok) {
      issue(ep, c ? c.error : 'except entries must be CIDR strings');
      bad = true;
      return;
    }
    if (c.value.family !== cidr.value.family) {
      issue(ep, `except ${String(e)} is not in the same address family as cidr ${String(raw.cidr)}`);
      bad = true;
      return;
    }
    const [lo, hi] = cidr.value.interval;
    if (c.value.interval[0] < lo || c.value.interval[1] > hi) {
      issue(ep, `except ${String(e)} is not inside cidr ${String(raw.cidr)}`);
      bad = true;
      return;
    }
    except.push(String(e));
    (c.value.family === 'v4' ? v4 : v6).push(c.value.interval);
  });
  if (bad) return undefined;
  const whole =
    cidr.value.family === 'v4' ? ipSetOf([cidr.value.interval], []) : ipSetOf([], [cidr.value.interval]);
  return { cidr: raw.cidr, except, ips: subtractIps(whole, ipSetOf(v4, v6)) };
}

function compilePorts(raw: unknown, path: string, issue: IssueFn): CompiledPorts | undefined {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    return { fixed: ConnSet.ALL, named: [] };
  }
  if (!Array.isArray(raw)) {
    issue(path, 'ports must be a list');
    return undefined;
  }
  let fixed = ConnSet.NONE;
  const named: NamedPort[] = [];
  let bad = false;
  raw.forEach((entry, i) => {
    const p = `${path}[${i}]`;
    if (entry === null) entry = {};
    if (!isRecord(entry)) {
      issue(p, 'a port entry must be an object');
      bad = true;
      return;
    }
    const protoRaw = entry.protocol ?? 'TCP';
    if (typeof protoRaw !== 'string' || !isProtocol(protoRaw)) {
      issue(`${p}.protocol`, `protocol must be TCP, UDP or SCTP (got ${JSON.stringify(protoRaw)})`);
      bad = true;
      return;
    }
    const protocol: Protocol = protoRaw;
    const port = entry.port;
    const endPort = entry.endPort;
    if (port === undefined || port === null) {
      if (endPort !== undefined && endPort !== null) {
        issue(`${p}.endPort`, 'endPort requires port');
        bad = true;
        return;
      }
      fixed = fixed.union(ConnSet.protocol(protocol));
      return;
    }
    const numeric =
      typeof port === 'number'
        ? port
        : typeof port === 'string' && /^\d+$/.test(port)
          ? Number(port)
          : undefined;
    if (numeric === undefined) {
      if (typeof port !== 'string' || port === '') {
        issue(`${p}.port`, 'port must be a number or a port name');
        bad = true;
        return;
      }
      if (endPort !== undefined && endPort !== null) {
        issue(`${p}.endPort`, 'endPort cannot be used with a named port');
        bad = true;
        return;
      }
      named.push({ name: port, protocol });
      return;
    }
    if (!Number.isInteger(numeric) || numeric < 1 || numeric > 65535) {
      issue(`${p}.port`, `port must be between 1 and 65535 (got ${JSON.stringify(port)})`);
      bad = true;
      return;
    }
    let end = numeric;
    if (endPort !== undefined && endPort !== null) {
      if (typeof endPort !== 'number' || !Number.isInteger(endPort) || endPort < numeric || endPort > 65535) {
        issue(
          `${p}.endPort`,
          `endPort must be a port between port (${numeric}) and 65535 (got ${JSON.stringify(endPort)})`,
        );
        bad = true;
        return;
      }
      end = endPort;
    }
    fixed = fixed.union(ConnSet.range(protocol, numeric, end));
  });
  return bad ? undefined : { fixed, named };
}
