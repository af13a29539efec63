/**
 * Segmentation findings over an analysis (issue 8, item 3), as core `Finding`s so the posture
 * catalogue can list them. Pure: everything is read from the analysis and the options.
 *
 * Codes are stable (`network_*`) and never renamed once shipped.
 */
import type { Finding, FrameworkRef, Resource, Severity } from '../core/index.js';
import { matchesLabelSelector } from '../core/index.js';
import type { Analysis } from './engine.js';
import { ipSetIsEmpty, parseCidr, type IpAtom } from './ip-set.js';
import type { CompiledPolicy, CompiledRule } from './policy.js';

/** Settings of the network findings. */
export interface NetworkFindingOptions {
  /**
   * Label sets marking sensitive workloads (a workload is sensitive when it has every label
   * of one set). Default: `palisade.dev/sensitive: "true"`.
   */
  sensitiveLabels?: readonly Record<string, string>[];
  /** Only these finding codes (ids of `NETWORK_CHECKS`); default: every one. */
  only?: ReadonlySet<string>;
}

/** Static description of each finding code. */
export interface NetworkCheck {
  id: string;
  title: string;
  severity: Severity;
  remediation: string;
  frameworks: readonly FrameworkRef[];
}

const SEGMENTATION: FrameworkRef[] = [
  { id: 'cis-1.10', control: '5.3.2' },
  { id: 'nsa-cisa-1.2', control: 'Network separation and hardening' },
];

/** Every finding code this module can produce. */
export const NETWORK_CHECKS = {
  noIngressIsolation: {
    id: 'network_workload_no_ingress_isolation',
    title: 'Workload accepts traffic from anywhere: no NetworkPolicy selects it for ingress',
    severity: 'medium',
    remediation:
      'Add a NetworkPolicy selecting this workload with policyTypes [Ingress] and only the sources it needs.',
    frameworks: SEGMENTATION,
  },
  noEgressIsolation: {
    id: 'network_workload_no_egress_isolation',
    title: 'Workload may connect anywhere: no NetworkPolicy selects it for egress',
    severity: 'low',
    remediation:
      'Add a NetworkPolicy selecting this workload with policyTypes [Egress] and only the destinations it needs (DNS included).',
    frameworks: SEGMENTATION,
  },
  noDefaultDeny: {
    id: 'network_namespace_no_default_deny',
    title: 'Namespace has no default-deny NetworkPolicy',
    severity: 'medium',
    remediation:
      'Add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] and no rules, then allow what each workload needs.',
    frameworks: SEGMENTATION,
  },
  selectsNoPod: {
    id: 'network_policy_selects_no_pod',
    title: 'NetworkPolicy selects no pod',
    severity: 'low',
    remediation: 'Fix the podSelector to match the intended pods, or delete the policy.',
    frameworks: [],
  },
  ruleNeverMatches: {
    id: 'network_rule_never_matches',
    title: 'NetworkPolicy peer can never match',
    severity: 'low',
    remediation: 'Fix the selector (e.g. a namespaceSelector that matches no namespace) or remove the peer.',
    frameworks: [],
  },
  ruleShadowed: {
    id: 'network_rule_shadowed',
    title: 'NetworkPolicy rule is shadowed by a broader rule',
    severity: 'info',
    remediation: 'Remove the narrower rule or narrow the broader one; a shadowed rule has no effect.',
    frameworks: [],
  },
  egressInternet: {
    id: 'network_egress_internet_allowed',
    title: 'NetworkPolicy allows egress to the internet',
    severity: 'medium',
    remediation:
      'Restrict egress ipBlocks to the addresses the workload needs, or route through an egress proxy.',
    frameworks: SEGMENTATION,
  },
  ingressAllNamespaces: {
    id: 'network_ingress_from_all_namespaces',
    title: 'NetworkPolicy allows ingress from every namespace',
    severity: 'medium',
    remediation: 'Replace namespaceSelector {} (or an absent from) with the namespaces that need access.',
    frameworks: SEGMENTATION,
  },
  sensitiveExposed: {
    id: 'network_sensitive_workload_exposed',
    title: 'Sensitive workload is reachable from other namespaces',
    severity: 'high',
    remediation: 'Allow ingress to this workload only from the workloads of its own namespace that need it.',
    frameworks: SEGMENTATION,
  },
} as const satisfies Record<string, NetworkCheck>;

/** One network finding before it becomes a core `Finding`: the object at fault is kept. */
export interface NetworkViolation {
  check: NetworkCheck;
  resource: Resource;
  message: string;
  fieldPath?: string;
}

function toFinding({ check, resource, message, fieldPath }: NetworkViolation): Finding {
  const f: Finding = {
    controlId: check.id,
    title: check.title,
    severity: check.severity,
    message,
    resource: resource.ref,
    remediation: check.remediation,
    frameworks: [...check.frameworks],
  };
  if (fieldPath !== undefined) f.fieldPath = fieldPath;
  if (resource.source) {
    const pos = resource.source.locate(fieldPath ?? '');
    f.location = { file: resource.source.file, line: pos.line, column: pos.column };
  }
  return f;
}

const PRIVATE_RANGES = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '0.0.0.0/8',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
]
  .map((c) => parseCidr(c))
  .flatMap((r) => (r.ok ? [r.value] : []));

/** True when some address of the range is public (outside private, loopback and link-local space). */
function hasPublicAddress(atom: IpAtom): boolean {
  let lo = atom.interval[0];
  const hi = atom.interval[1];
  const ranges = PRIVATE_RANGES.filter((r) => r.family === atom.family)
    .map((r) => r.interval)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  for (const [a, b] of ranges) {
    if (b < lo || a > hi) continue;
    if (a > lo) return true;
    lo = b + 1n;
    if (lo > hi) return false;
  }
  return lo <= hi;
}

function finding(
  check: NetworkCheck,
  resource: Resource,
  message: string,
  fieldPath?: string,
): NetworkViolation {
  return { check, resource, message, ...(fieldPath !== undefined ? { fieldPath } : {}) };
}

function policyLabel(p: CompiledPolicy): string {
  return `NetworkPolicy ${p.namespace}/${p.name}`;
}

/** Computes the item-3 findings of an analysis (workload granularity is expected). */
export function networkFindings(analysis: Analysis, options: NetworkFindingOptions = {}): Finding[] {
  return networkViolations(analysis, options).map(toFinding);
}

/** The network findings with the objects at fault, for the posture catalogue's controls (pure). */
export function networkViolations(
  analysis: Analysis,
  options: NetworkFindingOptions = {},
): NetworkViolation[] {
  const out: NetworkViolation[] = [];
  const sensitive = options.sensitiveLabels ?? [{ 'palisade.dev/sensitive': 'true' }];
  const { peers, policies, model } = analysis;
  const wants = (c: NetworkCheck): boolean => options.only === undefined || options.only.has(c.id);

  // Isolation per workload.
  if (wants(NETWORK_CHECKS.noIngressIsolation) || wants(NETWORK_CHECKS.noEgressIsolation))
    peers.forEach((p, i) => {
      const name = analysis.nameOf(i);
      if (!analysis.isIsolated(i, 'ingress'))
        out.push(
          finding(
            NETWORK_CHECKS.noIngressIsolation,
            p.resource,
            `${name} is not selected by any NetworkPolicy for ingress`,
          ),
        );
      if (!analysis.isIsolated(i, 'egress'))
        out.push(
          finding(
            NETWORK_CHECKS.noEgressIsolation,
            p.resource,
            `${name} is not selected by any NetworkPolicy for egress`,
          ),
        );
    });

  // Default deny per namespace with pods.
  if (wants(NETWORK_CHECKS.noDefaultDeny))
    for (const ns of model.namespaces) {
      const nsPeers = analysis.peersIn(ns.index);
      if (nsPeers.length === 0) continue;
      const nsPolicies = policies.filter((p) => p.namespace === ns.name && p.podSelector.matchesAll);
      const missing = (['ingress', 'egress'] as const).filter(
        (d) => !nsPolicies.some((p) => p[d] !== undefined && (p[d] ?? []).length === 0),
      );
      if (missing.length === 0) continue;
      const first = peers[nsPeers[0] as number];
      if (!first) continue;
      const nsObj = model.namespaceResource(ns.name) ?? first.resource;
      out.push(
        finding(
          NETWORK_CHECKS.noDefaultDeny,
          nsObj,
          `namespace ${ns.name} has no default-deny policy for ${missing.join(' and ')} (${nsPeers.length} workload(s) affected)`,
        ),
      );
    }

  for (const pol of policies) {
    const nsIndex = model.findNamespace(pol.namespace);
    const selected = nsIndex === undefined ? [] : model.selectPods(nsIndex, pol.podSelector);
    if (selected.length === 0)
      out.push(
        finding(
          NETWORK_CHECKS.selectsNoPod,
          pol.resource,
          `${policyLabel(pol)} selects no pod in namespace ${pol.namespace}`,
          'spec.podSelector',
        ),
      );

    for (const direction of ['ingress', 'egress'] as const) {
      const rules = pol[direction] ?? [];
      for (const rule of rules) {
        if (rule.peers !== 'all') {
          rule.peers.forEach((peer, j) => {
            if (peer.kind === 'ipBlock') {
              if (ipSetIsEmpty(peer.ips))
                out.push(
                  finding(
                    NETWORK_CHECKS.ruleNeverMatches,
                    pol.resource,
                    `${policyLabel(pol)} ${peer.path}: except removes the whole cidr ${peer.cidr}`,
                    peer.path,
                  ),
                );
              return;
            }
            // A namespace named by `kubernetes.io/metadata.name` that the input lacks (kube-system
            // in a manifest scan) is outside what was read, not a mistake.
            const namesNamespace =
              peer.namespaceSelector?.selector.matchLabels?.['kubernetes.io/metadata.name'] !== undefined;
            if (
              peer.namespaceSelector &&
              !peer.namespaceSelector.matchesAll &&
              model.selectNamespaces(peer.namespaceSelector).length === 0
            ) {
              if (namesNamespace) return;
              out.push(
                finding(
                  NETWORK_CHECKS.ruleNeverMatches,
                  pol.resource,
                  `${policyLabel(pol)} ${rule.path} peer ${j}: namespaceSelector matches no namespace`,
                  `${peer.path}.namespaceSelector`,
                ),
              );
              return;
            }
            // Pods of any namespace (`namespaceSelector: {}`) may live in namespaces the input lacks.
            if (peer.namespaceSelector?.matchesAll === true) return;
            const one: CompiledRule = { ...rule, peers: [peer] };
            if (analysis.ruleReach(pol, direction, one).pods === 0)
              out.push(
                finding(
                  NETWORK_CHECKS.ruleNeverMatches,
                  pol.resource,
                  `${policyLabel(pol)} ${rule.path} peer ${j}: selects no pod`,
                  peer.path,
                ),
              );
          });
        }
        if (
          direction === 'ingress' &&
          (rule.peers === 'all' ||
            rule.peers.some(
              (p) =>
                p.kind === 'pods' &&
                p.namespaceSelector?.matchesAll === true &&
                (!p.podSelector || p.podSelector.matchesAll),
            ))
        ) {
          const why =
            rule.peers === 'all'
              ? 'from every source (no from), the internet included'
              : 'from every pod of every namespace (namespaceSelector {})';
          out.push(
            finding(
              NETWORK_CHECKS.ingressAllNamespaces,
              pol.resource,
              `${policyLabel(pol)} ${rule.path} allows ingress ${why}`,
              rule.path,
            ),
          );
        }
        if (direction === 'egress' && wants(NETWORK_CHECKS.egressInternet)) {
          const publicAtoms = analysis.externals.filter(
            (e) =>
              e.direction === 'egress' &&
              hasPublicAddress(e.atom) &&
              analysis.ruleMatches(pol, 'egress', rule, e.index),
          );
          if (publicAtoms.length > 0 && !rule.ports.fixed.isEmpty)
            out.push(
              finding(
                NETWORK_CHECKS.egressInternet,
                pol.resource,
                `${policyLabel(pol)} ${rule.path} allows egress to public addresses (${rule.ports.fixed.toString()})`,
                rule.path,
              ),
            );
        }
      }
      if (wants(NETWORK_CHECKS.ruleShadowed)) out.push(...shadowed(analysis, pol, direction));
    }
  }

  // Sensitive workloads reachable from other namespaces or from outside.
  if (wants(NETWORK_CHECKS.sensitiveExposed))
    peers.forEach((p, d) => {
      if (!sensitive.some((set) => matchesLabelSelector({ matchLabels: set }, p.labels))) return;
      const from: string[] = [];
      for (let s = 0; s < analysis.size && from.length < 5; s++) {
        if (s === d) continue;
        const sp = peers[s];
        if (sp && sp.ns === p.ns) continue;
        const ext = analysis.externals[s - peers.length];
        if (!sp && ext?.direction !== 'ingress') continue;
        if (!analysis.allowed(s, d).isEmpty) from.push(analysis.nameOf(s));
      }
      if (from.length > 0)
        out.push(
          finding(
            NETWORK_CHECKS.sensitiveExposed,
            p.resource,
            `${analysis.nameOf(d)} is reachable from ${from.join(', ')}${from.length === 5 ? ' and others' : ''}`,
          ),
        );
    });
  return options.only === undefined ? out : out.filter((v) => wants(v.check));
}

/**
 * Rules of `pol` whose every match is also allowed by another rule (same direction, ports at
 * least as wide) of a policy selecting at least the same pods, compared on the current
 * inventory. Of two identical rules only the later one is reported.
 */
function shadowed(
  analysis: Analysis,
  pol: CompiledPolicy,
  direction: 'ingress' | 'egress',
): NetworkViolation[] {
  const rules = pol[direction] ?? [];
  const model = analysis.model;
  const nsIndex = model.findNamespace(pol.namespace);
  if (rules.length === 0 || nsIndex === undefined) return [];
  const selected = model.selectPods(nsIndex, pol.podSelector);
  if (selected.length === 0) return [];
  const others = analysis.policies.filter((q) => {
    if (q.namespace !== pol.namespace || q[direction] === undefined) return false;
    const qs = new Set(model.selectPods(nsIndex, q.podSelector));
    return selected.every((x) => qs.has(x));
  });
  const targets = Array.from({ length: analysis.size }, (_, i) => i).filter((i) => {
    const e = analysis.externals[i - analysis.peers.length];
    return !e || e.direction === direction;
  });
  const matchOf = (q: CompiledPolicy, r: CompiledRule): Set<number> =>
    new Set(targets.filter((t) => analysis.ruleMatches(q, direction, r, t)));
  const out: NetworkViolation[] = [];
  rules.forEach((rule, ri) => {
    if (rule.ports.named.length > 0) return;
    const mine = matchOf(pol, rule);
    // A rule matching nothing here is not shadowed (rule_never_matches, or peers outside the input).
    if (mine.size === 0) return;
    for (const q of others) {
      const found = (q[direction] ?? []).find((r, qi) => {
        if (q === pol && qi === ri) return false;
        if (r.ports.named.length > 0 || !rule.ports.fixed.isSubsetOf(r.ports.fixed)) return false;
        const theirs = matchOf(q, r);
        if (![...mine].every((t) => theirs.has(t))) return false;
        const identical = theirs.size === mine.size && r.ports.fixed === rule.ports.fixed;
        return !identical || q.id < pol.id || (q.id === pol.id && qi < ri);
      });
      if (found) {
        out.push(
          finding(
            NETWORK_CHECKS.ruleShadowed,
            pol.resource,
            `${policyLabel(pol)} ${rule.path} (${rule.ports.fixed.toString()}) adds nothing: ${policyLabel(q)} ${found.path} already allows it`,
            rule.path,
          ),
        );
        return;
      }
    }
  });
  return out;
}
