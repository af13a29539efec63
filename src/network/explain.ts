/**
 * Explains one connection: for each side, whether it is isolated, which policies select it,
 * which of their rules match the other side and what each allows; then the verdict.
 */
import { ConnSet, type Protocol } from './conn-set.js';
import { resolvePorts, type Analysis } from './engine.js';
import type { CompiledPolicy } from './policy.js';

/** One rule that matches the other side of the connection. */
export interface RuleMatch {
  policy: string;
  /** Field path of the rule, e.g. `spec.ingress[1]`. */
  rule: string;
  file?: string;
  line?: number;
  allows: string;
}

/** One direction (egress of the source, ingress of the destination). */
export interface DirectionExplanation {
  direction: 'egress' | 'ingress';
  peer: string;
  /** False: no policy selects the peer for this direction, so everything is allowed. */
  isolated: boolean;
  /** Policies selecting the peer for this direction (`ns/name`). */
  policies: string[];
  /** Rules matching the other side. */
  matches: RuleMatch[];
  allows: string;
}

/** The explanation of a connection. */
export interface Explanation {
  src: string;
  dst: string;
  /** The port asked about, if any. */
  port?: { protocol: Protocol; port: number };
  egress?: DirectionExplanation;
  ingress?: DirectionExplanation;
  allowed: string;
  verdict: 'allowed' | 'denied';
}

function policyName(p: CompiledPolicy): string {
  return `${p.namespace}/${p.name}`;
}

function side(
  analysis: Analysis,
  direction: 'egress' | 'ingress',
  src: number,
  dst: number,
): DirectionExplanation {
  const self = direction === 'egress' ? src : dst;
  const other = direction === 'egress' ? dst : src;
  const ids = analysis.policiesOf(self, direction);
  const matches: RuleMatch[] = [];
  for (const id of ids) {
    const pol = analysis.policies[id] as CompiledPolicy;
    for (const rule of pol[direction] ?? []) {
      if (!analysis.ruleMatches(pol, direction, rule, other)) continue;
      const conn = resolvePorts(rule.ports, analysis.peers[dst]);
      const pos = pol.resource.source?.locate(rule.path);
      matches.push({
        policy: policyName(pol),
        rule: rule.path,
        ...(pol.resource.source ? { file: pol.resource.source.file } : {}),
        ...(pos ? { line: pos.line } : {}),
        allows: conn.toString(),
      });
    }
  }
  const allows = direction === 'egress' ? analysis.egressAllows(src, dst) : analysis.ingressAllows(src, dst);
  return {
    direction,
    peer: analysis.nameOf(self),
    isolated: ids.length > 0,
    policies: ids.map((id) => policyName(analysis.policies[id] as CompiledPolicy)),
    matches,
    allows: allows.toString(),
  };
}

/** Explains the connection from peer `src` to peer `dst`, optionally for one port. */
export function explainConnection(
  analysis: Analysis,
  src: number,
  dst: number,
  port?: { protocol: Protocol; port: number },
): Explanation {
  const egress = analysis.isExternal(src) ? undefined : side(analysis, 'egress', src, dst);
  const ingress = analysis.isExternal(dst) ? undefined : side(analysis, 'ingress', src, dst);
  const allowed = analysis.allowed(src, dst);
  const ok = port ? allowed.has(port.protocol, port.port) : !allowed.isEmpty;
  return {
    src: analysis.nameOf(src),
    dst: analysis.nameOf(dst),
    ...(port ? { port } : {}),
    ...(egress ? { egress } : {}),
    ...(ingress ? { ingress } : {}),
    allowed: (port ? allowed.intersect(ConnSet.range(port.protocol, port.port)) : allowed).toString(),
    verdict: ok ? 'allowed' : 'denied',
  };
}

function describeSide(d: DirectionExplanation): string[] {
  const head = `${d.direction} of ${d.peer}:`;
  if (!d.isolated)
    return [`${head} not isolated (no NetworkPolicy selects it for ${d.direction}): All Connections`];
  const lines = [`${head} isolated by ${d.policies.join(', ')}`];
  if (d.matches.length === 0) lines.push(`  no rule of these policies matches the other side: denied`);
  for (const m of d.matches) {
    const where = m.file ? ` (${m.file}${m.line ? `:${m.line}` : ''})` : '';
    lines.push(`  ${m.policy} ${m.rule}${where} allows ${m.allows}`);
  }
  lines.push(`  ${d.direction} allows: ${d.allows}`);
  return lines;
}

/** Renders an explanation as text. */
export function formatExplanation(e: Explanation): string {
  const what = e.port ? ` on ${e.port.protocol} ${e.port.port}` : '';
  const lines = [`${e.src} => ${e.dst}${what}: ${e.verdict.toUpperCase()}`];
  if (e.egress) lines.push(...describeSide(e.egress));
  else lines.push(`egress: the source is outside the cluster (no policy applies)`);
  if (e.ingress) lines.push(...describeSide(e.ingress));
  else lines.push(`ingress: the destination is outside the cluster (no policy applies)`);
  lines.push(`allowed connections: ${e.allowed}`);
  return `${lines.join('\n')}\n`;
}
