/**
 * Watch mode stays exact: random sequences of changes (pods, deployments, NetworkPolicies,
 * labelled namespaces; created, updated and deleted) applied one batch at a time, the open
 * findings compared after every step with a from-scratch evaluation of the same objects
 * listed in another order. Seeded: a failure names its seed and step.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { CATALOG } from '../controls/index.js';
import { findingFingerprint } from '../store/index.js';
import { Posture, type ObjectChange } from './posture.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMESPACES = ['shop', 'ops', 'data'];
const APPS = ['web', 'api', 'db', 'cache'];
const TIERS = ['front', 'back'];

class Gen {
  constructor(private readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }

  labels(): Record<string, string> {
    const out: Record<string, string> = { app: this.pick(APPS) };
    if (this.chance(0.5)) out.tier = this.pick(TIERS);
    if (this.chance(0.2)) out['palisade.dev/sensitive'] = 'true';
    return out;
  }

  selector(): Record<string, unknown> {
    const r = this.int(4);
    if (r === 0) return {};
    if (r === 1) return { matchLabels: { app: this.pick(APPS) } };
    if (r === 2) return { matchLabels: { tier: this.pick(TIERS) } };
    return { matchExpressions: [{ key: 'app', operator: 'In', values: [this.pick(APPS), this.pick(APPS)] }] };
  }

  ports(): Record<string, unknown>[] | undefined {
    const r = this.int(4);
    if (r === 0) return undefined;
    if (r === 1) return [{ port: 80 }];
    if (r === 2) return [{ port: 'http', protocol: 'TCP' }];
    return [{ port: 5432 }, { port: 53, protocol: 'UDP' }];
  }

  peer(): Record<string, unknown> {
    const r = this.int(6);
    if (r === 0) return { podSelector: this.selector() };
    if (r === 1) return { namespaceSelector: {} };
    if (r === 2) return { namespaceSelector: { matchLabels: { team: this.pick(['a', 'b', 'c']) } } };
    if (r === 3)
      return {
        namespaceSelector: { matchLabels: { team: this.pick(['a', 'b']) } },
        podSelector: this.selector(),
      };
    if (r === 4) return { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } };
    return { ipBlock: { cidr: this.pick(['10.1.0.0/16', '192.168.0.0/24', '203.0.113.0/24']) } };
  }

  rules(): Record<string, unknown>[] {
    const rules: Record<string, unknown>[] = [];
    for (let i = this.int(3); i > 0; i--) {
      const rule: Record<string, unknown> = {};
      const peers = Array.from({ length: this.int(3) }, () => this.peer());
      if (peers.length > 0) rule.peers = peers;
      const ports = this.ports();
      if (ports) rule.ports = ports;
      rules.push(rule);
    }
    return rules;
  }

  policy(namespace: string, name: string): KubeObject {
    const types = this.pick([['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
    const spec: Record<string, unknown> = { podSelector: this.selector(), policyTypes: types };
    if (types.includes('Ingress') && this.chance(0.7))
      spec.ingress = this.rules().map(({ peers, ...r }) => (peers ? { ...r, from: peers } : r));
    if (types.includes('Egress') && this.chance(0.7))
      spec.egress = this.rules().map(({ peers, ...r }) => (peers ? { ...r, to: peers } : r));
    return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
  }

  container(): Record<string, unknown> {
    const c: Record<string, unknown> = {
      name: 'c',
      image: `registry.example/app:1.${this.int(3)}`,
      ports: this.chance(0.5) ? [{ name: 'http', containerPort: this.pick([80, 8080]) }] : [],
    };
    if (this.chance(0.3)) c.securityContext = { privileged: true };
    return c;
  }

  deployment(namespace: string, name: string): KubeObject {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: {
        replicas: 1 + this.int(3),
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: this.labels() }, spec: { containers: [this.container()] } },
      },
    };
  }

  pod(namespace: string, name: string): KubeObject {
    const metadata: Record<string, unknown> = { name, namespace, labels: this.labels() };
    if (this.chance(0.4))
      metadata.ownerReferences = [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${this.int(2)}`, controller: true },
      ];
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata,
      spec: { containers: [this.container()] },
    };
    if (this.chance(0.15)) pod.status = { phase: 'Succeeded' };
    return pod;
  }

  touch(o: KubeObject): KubeObject {
    return touchOf(this, o);
  }

  namespace(name: string): KubeObject {
    const labels: Record<string, string> = {};
    if (this.chance(0.7)) labels.team = this.pick(['a', 'b', 'c']);
    return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
  }

  /**
   * A change of a random object: an upsert mostly, a delete sometimes, and often an existing
   * object sent again with what the reachability analysis does not read changed (image,
   * privileges, replicas, status), as most real updates are.
   */
  change(existing: readonly KubeObject[]): ObjectChange {
    if (existing.length > 0 && this.chance(0.4))
      return { type: 'upsert', object: this.touch(this.pick(existing)) };
    const namespace = this.pick(NAMESPACES);
    const r = this.int(10);
    const object =
      r < 3
        ? this.deployment(namespace, `d${this.int(4)}`)
        : r < 5
          ? this.pod(namespace, `p${this.int(4)}`)
          : r < 8
            ? this.policy(namespace, `np${this.int(3)}`)
            : this.namespace(namespace);
    return this.chance(0.2) ? { type: 'delete', object } : { type: 'upsert', object };
  }
}

/** The object again with only fields the network model ignores changed. */
function touchOf(g: Gen, o: KubeObject): KubeObject {
  const copy = structuredClone(o);
  const spec = copy.spec as Record<string, unknown> | undefined;
  const template = spec?.template as { spec?: { containers?: Record<string, unknown>[] } } | undefined;
  const containers =
    template?.spec?.containers ?? (spec?.containers as Record<string, unknown>[] | undefined);
  for (const c of containers ?? []) {
    c.image = `registry.example/app:2.${g.int(5)}`;
    if (g.chance(0.5)) c.securityContext = { privileged: g.chance(0.5) };
  }
  if (copy.kind === 'Deployment' && spec) spec.replicas = 1 + g.int(5);
  if (copy.kind === 'Pod' && g.chance(0.3)) copy.status = { phase: 'Running', podIP: `10.0.0.${g.int(200)}` };
  copy.metadata = { ...copy.metadata, annotations: { touched: String(g.int(1000)) } };
  return copy;
}

const keyOf = (o: KubeObject): string => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

function prints(p: Posture): string[] {
  return p
    .findings()
    .map((f) => `${findingFingerprint(f)} ${f.severity} ${f.resource.apiVersion} ${f.message}`)
    .sort();
}

describe('watch mode equals a full rescan after every random change', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', (seed) => {
    const g = new Gen(rng(seed));
    const objects = new Map<string, KubeObject>();
    for (const ns of NAMESPACES) objects.set(keyOf(g.namespace(ns)), g.namespace(ns));
    for (let i = 0; i < 6; i++) {
      const o = g.change([]).object;
      objects.set(keyOf(o), o);
    }
    const posture = new Posture({ controls: CATALOG });
    posture.reset([...objects.values()], { scanDate: '2026-12-07' });
    let networkFindings = 0;
    for (let step = 0; step < 40; step++) {
      const batch = Array.from({ length: 1 + g.int(3) }, () => g.change([...objects.values()]));
      posture.apply(batch);
      for (const c of batch) {
        if (c.type === 'upsert') objects.set(keyOf(c.object), c.object);
        else objects.delete(keyOf(c.object));
      }
      // The rescan lists the objects in reverse: the answer must not depend on the order.
      const fresh = new Posture({ controls: CATALOG });
      fresh.reset([...objects.values()].reverse(), { scanDate: '2026-12-07' });
      expect(prints(posture), `seed ${seed} step ${step}`).toEqual(prints(fresh));
      networkFindings += posture.findings().filter((f) => f.controlId.startsWith('network_')).length;
    }
    // The sequences exercise the reachability findings, not only the per-object controls.
    expect(networkFindings).toBeGreaterThan(0);
  });
});
