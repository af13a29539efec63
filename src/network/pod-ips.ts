/**
 * `--ipblock-matches-pods`: ipBlocks also select the pods whose IP (from `status.podIPs` or
 * `status.podIP`) they cover, as the upstream network-policy conformance tests expect of
 * plugins that apply CIDR rules to pod traffic. The API leaves this to the plugin, so it is
 * an option. Implemented as a rewrite before the analysis: each covered pod gets a marker
 * label per ipBlock, and the rule gains a peer selecting that label in every namespace.
 * Template pods (no IP known) are never matched. Pure.
 */
import { Inventory, type KubeObject, type Resource } from '../core/index.js';
import { ipSetCovers, parseIp, type IpSet } from './ip-set.js';
import type { CompiledPeer, CompiledPolicy, CompiledRule, CompiledSelector } from './policy.js';
import { selectorKey } from './policy.js';

/** Prefix of the marker labels (never shown: peers are named by namespace and name). */
const MARK = 'ipblock.palisade.dev/';

const ANY_NAMESPACE: CompiledSelector = { selector: {}, key: selectorKey({}), matchesAll: true };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function podIpsOf(obj: KubeObject): string[] {
  const status = obj.status;
  if (!isRecord(status)) return [];
  const out = new Set<string>();
  if (typeof status.podIP === 'string' && status.podIP !== '') out.add(status.podIP);
  if (Array.isArray(status.podIPs))
    for (const p of status.podIPs as unknown[]) if (isRecord(p) && typeof p.ip === 'string') out.add(p.ip);
  return [...out];
}

function covers(ips: IpSet, address: string): boolean {
  const p = parseIp(address);
  return p.ok && ipSetCovers(ips, p.value.family, [p.value.value, p.value.value]);
}

/** The inventory and policies rewritten so that ipBlocks select the pods whose IPs they cover. */
export function ipBlocksMatchPods(
  inventory: Inventory,
  policies: readonly CompiledPolicy[],
): { inventory: Inventory; policies: CompiledPolicy[] } {
  const blocks: IpSet[] = [];
  const blockOf = new Map<CompiledPeer, number>();
  for (const pol of policies)
    for (const rule of [...(pol.ingress ?? []), ...(pol.egress ?? [])])
      if (rule.peers !== 'all')
        for (const peer of rule.peers)
          if (peer.kind === 'ipBlock') {
            blockOf.set(peer, blocks.length);
            blocks.push(peer.ips);
          }
  const used = new Set<number>();
  const replaced = new Map<Resource, Resource>();
  for (const r of inventory.byKind('Pod')) {
    const ips = podIpsOf(r.object);
    if (ips.length === 0) continue;
    const marks: Record<string, string> = {};
    blocks.forEach((b, k) => {
      if (ips.some((ip) => covers(b, ip))) {
        marks[`${MARK}${k}`] = 'true';
        used.add(k);
      }
    });
    if (Object.keys(marks).length === 0) continue;
    const meta = r.object.metadata ?? {};
    const labels = isRecord(meta.labels) ? meta.labels : {};
    replaced.set(r, {
      ...r,
      object: { ...r.object, metadata: { ...meta, labels: { ...labels, ...marks } } },
    });
  }
  if (used.size === 0) return { inventory, policies: [...policies] };
  const out = new Inventory();
  for (const r of inventory.resources) out.add(replaced.get(r) ?? r);
  out.facts = inventory.facts;
  const rewrite = (rules: CompiledRule[] | undefined): CompiledRule[] | undefined =>
    rules?.map((rule) =>
      rule.peers === 'all'
        ? rule
        : {
            ...rule,
            peers: rule.peers.flatMap((peer): CompiledPeer[] => {
              const k = blockOf.get(peer);
              if (k === undefined || !used.has(k)) return [peer];
              const matchLabels = { [`${MARK}${k}`]: 'true' };
              const podSelector: CompiledSelector = {
                selector: { matchLabels },
                key: selectorKey({ matchLabels }),
                matchesAll: false,
              };
              return [peer, { kind: 'pods', path: peer.path, namespaceSelector: ANY_NAMESPACE, podSelector }];
            }),
          },
    );
  return {
    inventory: out,
    policies: policies.map((p) => {
      const ingress = rewrite(p.ingress);
      const egress = rewrite(p.egress);
      return { ...p, ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}) };
    }),
  };
}
