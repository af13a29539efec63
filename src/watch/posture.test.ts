import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { CATALOG } from '../controls/index.js';
import { selectFrameworks } from '../frameworks/index.js';
import { findingFingerprint } from '../store/index.js';
import { Posture, type ObjectChange } from './posture.js';

const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

function deployment(name: string, namespace: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'registry.example/app:1.0', ...extra }] },
      },
    },
  };
}

const denyAll = (namespace: string): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'deny-all', namespace },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
});

const serviceAccount = (namespace: string, automount: boolean): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name: 'default', namespace },
  automountServiceAccountToken: automount,
});

const oldIngress: KubeObject = {
  apiVersion: 'extensions/v1beta1',
  kind: 'Ingress',
  metadata: { name: 'legacy', namespace: 'shop' },
  spec: {},
};

const up = (object: KubeObject): ObjectChange => ({ type: 'upsert', object });
const del = (object: KubeObject): ObjectChange => ({ type: 'delete', object });

function prints(p: Posture): string[] {
  return p
    .findings()
    .map((f) => findingFingerprint(f))
    .sort();
}

/** The findings of a fresh full evaluation of the same objects: what incremental must equal. */
function full(objects: readonly KubeObject[]): Posture {
  const p = new Posture({ controls: CATALOG });
  p.reset(objects, { scanDate: '2026-12-07' });
  return p;
}

const start = [ns('shop'), ns('ops'), deployment('web', 'shop'), deployment('api', 'ops')];

describe('Posture.apply matches a full evaluation', () => {
  it.each<{ name: string; changes: ObjectChange[]; opens?: string; closes?: string }>([
    {
      name: 'a privileged deployment is added',
      changes: [up(deployment('bad', 'shop', { securityContext: { privileged: true } }))],
      opens: 'workload/no-privileged',
    },
    {
      name: 'a deployment is made privileged, then fixed in the same batch',
      changes: [
        up(deployment('web', 'shop', { securityContext: { privileged: true } })),
        up(deployment('web', 'shop')),
      ],
    },
    {
      name: 'a default-deny policy arrives in one namespace',
      changes: [up(denyAll('shop'))],
      closes: 'network/pod-selected-by-policy',
    },
    {
      name: 'the namespace ServiceAccount stops automounting tokens',
      changes: [up(serviceAccount('shop', false))],
      closes: 'workload/no-automount-token',
    },
    {
      name: 'a deployment is deleted',
      changes: [del(deployment('api', 'ops'))],
      closes: 'workload/no-automount-token',
    },
    {
      name: 'an object of a removed API appears',
      changes: [up(oldIngress)],
      opens: 'cluster/deprecated-api',
    },
    {
      name: 'a new namespace appears through an object in it',
      changes: [up(deployment('job', 'batch'))],
      opens: 'network/default-deny-ingress',
    },
    {
      name: 'deleting an object that is not there changes nothing',
      changes: [del(deployment('ghost', 'shop'))],
    },
  ])('$name', ({ changes, opens, closes }) => {
    const p = full(start);
    const delta = p.apply(changes);
    const final = new Map(start.map((o) => [`${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`, o]));
    for (const c of changes) {
      const k = `${c.object.kind}/${c.object.metadata?.namespace}/${c.object.metadata?.name}`;
      if (c.type === 'upsert') final.set(k, c.object);
      else final.delete(k);
    }
    expect(prints(p)).toEqual(prints(full([...final.values()])));
    if (opens) expect(delta.opened.map((f) => f.controlId)).toContain(opens);
    if (closes) expect(delta.closed.map((f) => f.controlId)).toContain(closes);
    if (!opens && !closes) expect(delta.opened.length + delta.closed.length).toBe(0);
  });

  it('follows a NetworkPolicy edited in place (same number of objects)', () => {
    const p = full([...start, denyAll('shop')]);
    const open: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny-all', namespace: 'shop' },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }],
      },
    };
    const delta = p.apply([up(open)]);
    expect(prints(p)).toEqual(prints(full([...start, open])));
    expect(delta.opened.map((f) => f.controlId)).toContain('network_egress_internet_allowed');
  });

  it('evaluates only the changed object when nothing reads it', () => {
    const objects = [...start];
    for (let i = 0; i < 200; i++) objects.push(deployment(`w${i}`, 'shop'));
    const p = full(objects);
    const delta = p.apply([up(deployment('w7', 'shop', { securityContext: { privileged: true } }))]);
    expect(delta.evaluated).toBe(1);
    // Only what reads workloads runs again: the namespace default-deny judgement (namespaces
    // that run pods) and the reachability findings; every other inventory control is per object.
    expect([...delta.reran].sort()).toEqual(
      [
        'network/default-deny-egress',
        'network/default-deny-ingress',
        'network_egress_internet_allowed',
        'network_ingress_from_all_namespaces',
        'network_policy_selects_no_pod',
        'network_rule_never_matches',
        'network_rule_shadowed',
        'network_sensitive_workload_exposed',
      ].sort(),
    );
    expect(delta.opened.map((f) => f.resource.name)).toEqual(expect.arrayContaining(['w7']));
  });

  it('re-evaluates the namespace’s workloads when a NetworkPolicy changes there, not the others', () => {
    const objects = [...start];
    for (let i = 0; i < 20; i++) objects.push(deployment(`w${i}`, 'ops'));
    const p = full(objects);
    const delta = p.apply([up(denyAll('shop'))]);
    // web in shop; the 21 deployments of ops are not touched.
    expect(delta.evaluated).toBe(2);
    expect(delta.reran).toEqual(
      expect.arrayContaining(['network/default-deny-ingress', 'network/default-deny-egress']),
    );
  });

  it('keeps scores equal to those of a full evaluation', () => {
    const sets = selectFrameworks([]);
    if (!sets.ok) throw new Error(sets.error);
    const p = full(start);
    p.apply([up(denyAll('shop')), up(denyAll('ops')), up(serviceAccount('ops', false))]);
    const final = [...start, denyAll('shop'), denyAll('ops'), serviceAccount('ops', false)];
    expect(p.scores(sets.value.sets)).toEqual(full(final).scores(sets.value.sets));
  });

  it('a relist (reset with the same objects) opens and closes nothing', () => {
    const p = full(start);
    const before = prints(p);
    const delta = p.reset(start, { scanDate: '2026-12-07' });
    expect(delta.opened).toEqual([]);
    expect(delta.closed).toEqual([]);
    expect(prints(p)).toEqual(before);
    expect(p.size).toBe(start.length);
  });
});
