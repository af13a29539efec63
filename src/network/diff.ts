/**
 * Change impact: the connections added, removed and changed between two versions of the
 * manifests (workload granularity), with new exposure flagged and attributed to the policy
 * rules of the new version that open it. Both versions cut the external address space the
 * same way so external ranges compare by name.
 */
import { csvCell, type Inventory, type SourceLocation } from '../core/index.js';
import { ConnSet } from './conn-set.js';
import { Analysis, ipBlocksOf, resolvePorts } from './engine.js';
import { ingressControllerLines, INGRESS_CONTROLLER } from './ingress.js';
import { buildModel } from './model.js';
import { compilePolicies, type CompiledPolicy, type PolicyIssue } from './policy.js';

/** Why a path changed, pointing at a policy of the new version (or at the workload). */
export interface Attribution {
  /** `NetworkPolicy ns/name spec.ingress[0]`, or the workload when no policy is involved. */
  description: string;
  location?: SourceLocation;
}

/** One connection that differs. */
export interface ConnDiff {
  src: string;
  dst: string;
  change: 'added' | 'removed' | 'changed';
  before: string;
  after: string;
  /** Connections allowed now that were not allowed before. */
  opened: string;
  /** True when something is newly allowed. */
  newExposure: boolean;
  /** The src or dst exists only in the new version. */
  newPeer: boolean;
  attribution: Attribution[];
}

/** The difference between two versions. */
export interface NetpolDiff {
  diffs: ConnDiff[];
  added: number;
  removed: number;
  changed: number;
  newExposure: number;
  issues: { base: PolicyIssue[]; head: PolicyIssue[] };
}

function analysisPair(
  base: Inventory,
  head: Inventory,
): { a: Analysis; b: Analysis; issues: NetpolDiff['issues'] } {
  const pa = compilePolicies(base.resources);
  const pb = compilePolicies(head.resources);
  const ba = ipBlocksOf(pa.policies);
  const bb = ipBlocksOf(pb.policies);
  const families = [...ba.ingress, ...ba.egress, ...bb.ingress, ...bb.egress].some((s) => s.v6.length > 0)
    ? (['v4', 'v6'] as const)
    : (['v4'] as const);
  const a = new Analysis(buildModel(base), pa.policies, { families, extraIpBlocks: bb });
  const b = new Analysis(buildModel(head), pb.policies, { families, extraIpBlocks: ba });
  return { a, b, issues: { base: pa.issues, head: pb.issues } };
}

/** Every allowed connection by `src\0dst`, the ingress controller's (from Ingress objects) included. */
function connMap(x: Analysis, inventory: Inventory): Map<string, ConnSet> {
  const m = new Map<string, ConnSet>();
  x.forEachConnection((c) => m.set(`${x.nameOf(c.src)}\u0000${x.nameOf(c.dst)}`, c.conn));
  for (const l of ingressControllerLines(x, inventory.resources)) m.set(`${l.src}\u0000${l.dst}`, l.conn);
  return m;
}

function policyRuleLocation(p: CompiledPolicy, path: string): SourceLocation | undefined {
  const src = p.resource.source;
  if (!src) return undefined;
  const pos = src.locate(path);
  return { file: src.file, line: pos.line, column: pos.column };
}

/** The rules of the new version that allow part of `opened` between two peers. */
function attribute(b: Analysis, src: number, dst: number, opened: ConnSet): Attribution[] {
  const out: Attribution[] = [];
  const sides: ['egress' | 'ingress', number, number][] = [];
  if (!b.isExternal(dst)) sides.push(['ingress', dst, src]);
  if (!b.isExternal(src)) sides.push(['egress', src, dst]);
  for (const [direction, self, other] of sides) {
    const ids = b.policiesOf(self, direction);
    for (const id of ids) {
      const pol = b.policies[id] as CompiledPolicy;
      for (const rule of pol[direction] ?? []) {
        if (!b.ruleMatches(pol, direction, rule, other)) continue;
        if (resolvePorts(rule.ports, b.peers[dst]).intersect(opened).isEmpty) continue;
        const location = policyRuleLocation(pol, rule.path);
        out.push({
          description: `NetworkPolicy ${pol.namespace}/${pol.name} ${rule.path}`,
          ...(location ? { location } : {}),
        });
      }
    }
  }
  if (out.length === 0) {
    // Nothing allows it explicitly: a side is not isolated (a policy was removed or narrowed, or the workload is new).
    const target = b.peers[dst] ?? b.peers[src];
    if (target) {
      const s = target.resource.source;
      const pos = s?.locate('metadata');
      out.push({
        description: `${b.nameOf(target.index)} is not isolated for ${b.peers[dst] ? 'ingress' : 'egress'} (no NetworkPolicy selects it)`,
        ...(s && pos ? { location: { file: s.file, line: pos.line, column: pos.column } } : {}),
      });
    }
  }
  return out;
}

/**
 * Why the ingress controller reaches a workload now: its ingress policies (which admit an
 * arbitrary in-cluster pod on the backend port), or the workload itself when none isolates it.
 */
function ingressAttribution(b: Analysis, dst: number): Attribution[] {
  const ids = b.policiesOf(dst, 'ingress');
  if (ids.length === 0) {
    const s = b.peers[dst]?.resource.source;
    const pos = s?.locate('metadata');
    return [
      {
        description: `${b.nameOf(dst)} is not isolated for ingress (no NetworkPolicy selects it); an Ingress routes to it`,
        ...(s && pos ? { location: { file: s.file, line: pos.line, column: pos.column } } : {}),
      },
    ];
  }
  return ids.map((id) => {
    const pol = b.policies[id] as CompiledPolicy;
    const location = policyRuleLocation(pol, 'spec.ingress');
    return {
      description: `NetworkPolicy ${pol.namespace}/${pol.name} admits in-cluster pods, the ingress controller included`,
      ...(location ? { location } : {}),
    };
  });
}

/** Compares the reachability of two inventories (pure). */
export function diffInventories(base: Inventory, head: Inventory): NetpolDiff {
  const { a, b, issues } = analysisPair(base, head);
  const before = connMap(a, base);
  const after = connMap(b, head);
  const basePeers = new Set(a.peers.map((_, i) => a.nameOf(i)));
  const headIndex = new Map<string, number>();
  for (let i = 0; i < b.size; i++) headIndex.set(b.nameOf(i), i);
  const diffs: ConnDiff[] = [];
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const key of keys) {
    const x = before.get(key) ?? ConnSet.NONE;
    const y = after.get(key) ?? ConnSet.NONE;
    if (x === y) continue;
    const [src = '', dst = ''] = key.split('\u0000');
    const opened = y.subtract(x);
    const change = x.isEmpty ? 'added' : y.isEmpty ? 'removed' : 'changed';
    const newPeer =
      (!src.endsWith('[External]') && src !== INGRESS_CONTROLLER && !basePeers.has(src)) ||
      (!dst.endsWith('[External]') && !basePeers.has(dst));
    const si = headIndex.get(src);
    const di = headIndex.get(dst);
    diffs.push({
      src,
      dst,
      change,
      before: x.toString(),
      after: y.toString(),
      opened: opened.toString(),
      newExposure: !opened.isEmpty,
      newPeer,
      attribution: opened.isEmpty
        ? []
        : src === INGRESS_CONTROLLER && di !== undefined
          ? ingressAttribution(b, di)
          : si !== undefined && di !== undefined
            ? attribute(b, si, di, opened)
            : [],
    });
  }
  return {
    diffs,
    added: diffs.filter((d) => d.change === 'added').length,
    removed: diffs.filter((d) => d.change === 'removed').length,
    changed: diffs.filter((d) => d.change === 'changed').length,
    newExposure: diffs.filter((d) => d.newExposure).length,
    issues,
  };
}

function short(peer: string): string {
  let s = peer;
  // Drops a trailing `[…]` (no `]` inside) without a regex that would retry from every `[`.
  if (s.endsWith(']')) {
    const open = s.indexOf('[', s.lastIndexOf(']', s.length - 2) + 1);
    if (open >= 0 && open < s.length - 1) s = s.slice(0, open);
  }
  const slash = s.indexOf('/');
  return slash < 0 ? s : s.slice(slash + 1);
}

/** One sentence for a new exposure: "frontend can now reach payments-db on TCP 5432". */
export function exposureSentence(d: ConnDiff): string {
  const what = d.opened === 'All Connections' ? 'on all connections' : `on ${d.opened}`;
  return `${short(d.src)} can now reach ${short(d.dst)} ${what}`;
}

/** Text output: one line per difference, new exposure marked with `!`. */
export function formatDiffText(diff: NetpolDiff): string {
  const lines = diff.diffs.map((d) => {
    const mark = d.newExposure ? '!' : ' ';
    const body = `${mark} ${d.change.padEnd(7)} ${d.src} => ${d.dst} : ${d.before} -> ${d.after}`;
    if (!d.newExposure) return body;
    const why = d.attribution.map(
      (a) => `${a.description}${a.location ? ` (${a.location.file}:${a.location.line})` : ''}`,
    );
    return `${body}\n    NEW EXPOSURE: ${exposureSentence(d)}${why.length > 0 ? `; opened by ${why.join('; ')}` : ''}`;
  });
  lines.push(
    `${diff.added} added, ${diff.removed} removed, ${diff.changed} changed, ${diff.newExposure} with new exposure`,
  );
  return `${lines.join('\n')}\n`;
}

/** CSV output: `src,dst,change,before,after,new_exposure`. */
export function formatDiffCsv(diff: NetpolDiff): string {
  const q = csvCell;
  return `src,dst,change,before,after,new_exposure\n${diff.diffs
    .map((d) => [d.src, d.dst, d.change, d.before, d.after, String(d.newExposure)].map(q).join(','))
    .map((l) => `${l}\n`)
    .join('')}`;
}

/** SARIF 2.1.0: one result per new exposure, located at the policy rule that opened it. */
export function formatDiffSarif(diff: NetpolDiff, tool: { name: string; version: string }): string {
  const results = diff.diffs
    .filter((d) => d.newExposure)
    .map((d) => {
      const located = d.attribution.filter((a) => a.location);
      return {
        ruleId: 'network_new_exposure',
        level: 'warning',
        message: { text: `${exposureSentence(d)} (${d.src} => ${d.dst}: ${d.before} -> ${d.after})` },
        locations: located.map((a) => ({
          physicalLocation: {
            artifactLocation: { uri: (a.location as SourceLocation).file.split('\\').join('/') },
            region: {
              startLine: (a.location as SourceLocation).line,
              startColumn: (a.location as SourceLocation).column,
            },
          },
          message: { text: a.description },
        })),
        properties: { src: d.src, dst: d.dst, change: d.change, opened: d.opened, newPeer: d.newPeer },
      };
    });
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            rules: [
              {
                id: 'network_new_exposure',
                name: 'NewNetworkExposure',
                shortDescription: { text: 'A change allows a connection that was not allowed before' },
                fullDescription: {
                  text: 'The new version of the manifests allows connections between workloads (or from outside) that the base version denied.',
                },
                help: {
                  text: 'Check that the new path is intended; otherwise narrow the policy rule the result points at.',
                },
                defaultConfiguration: { level: 'warning' },
              },
            ],
          },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
