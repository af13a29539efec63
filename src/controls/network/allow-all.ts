/**
 * network/no-allow-all (NSA network policies): NetworkPolicy rules must not open a
 * direction to everything. Fails for
 * - an ingress or egress rule with no `from`/`to` (or an empty list): any peer;
 * - a peer `ipBlock` of `0.0.0.0/0` or `::/0` without `except`: any address;
 * - a peer `namespaceSelector: {}` without a `podSelector` or with an empty one: every pod
 *   of every namespace.
 * Only directions in the policy's effective policyTypes count (rules of another direction
 * are ignored by the API). Path: the rule, or the peer.
 */
import type { Control, Violation } from '../../core/index.js';
import { cis, isRecord, mitre, nsa } from '../support.js';
import { isEmptySelector, viewPolicy } from './policies.js';

function peerAllowsAll(peer: Record<string, unknown>): string | undefined {
  if (isRecord(peer.ipBlock)) {
    const cidr = peer.ipBlock.cidr;
    const except = peer.ipBlock.except;
    if ((cidr === '0.0.0.0/0' || cidr === '::/0') && !(Array.isArray(except) && except.length > 0))
      return `every address (${cidr})`;
    return undefined;
  }
  if (isRecord(peer.namespaceSelector) && isEmptySelector(peer.namespaceSelector)) {
    if (!isRecord(peer.podSelector) || isEmptySelector(peer.podSelector))
      return 'every pod of every namespace';
  }
  return undefined;
}

export const noAllowAll: Control = {
  id: 'network/no-allow-all',
  title: 'NetworkPolicies must not allow all ingress or egress',
  severity: 'medium',
  category: 'network',
  appliesTo: { kinds: ['NetworkPolicy'] },
  rationale: 'A rule that admits any peer silently undoes the default deny it sits next to.',
  remediation: 'Name the peers: podSelector and namespaceSelector with labels, or specific ipBlock ranges.',
  frameworks: [cis('5.3.2'), nsa('Network separation and hardening: network policies'), mitre('T1046')],
  check({ resource }) {
    const p = viewPolicy(resource);
    const out: Violation[] = [];
    for (const [dir, peersKey] of [
      ['ingress', 'from'],
      ['egress', 'to'],
    ] as const) {
      if (!p.types[dir]) continue;
      p[dir].forEach((rule, i) => {
        const r = isRecord(rule) ? rule : {};
        const peers = r[peersKey];
        if (!Array.isArray(peers) || peers.length === 0) {
          out.push({
            message: `${dir} rule ${i} ${dir === 'ingress' ? 'admits' : 'reaches'} any peer`,
            path: `spec.${dir}[${i}]`,
          });
          return;
        }
        peers.forEach((peer: unknown, j) => {
          const what = isRecord(peer) ? peerAllowsAll(peer) : undefined;
          if (what)
            out.push({
              message: `${dir} rule ${i} ${dir === 'ingress' ? 'admits' : 'reaches'} ${what}`,
              path: `spec.${dir}[${i}].${peersKey}[${j}]`,
            });
        });
      });
    }
    return out;
  },
};
