/**
 * Which objects are peers: static (mirror) pods as their own workloads, pods that have
 * finished (phase Succeeded or Failed, or a finished Job's) left out.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { analyzeInventory, connList } from './index.js';
import { inventoryOf, netpol, ns, pod } from './testing.js';

function withOwner(p: KubeObject, kind: string, name: string): KubeObject {
  return {
    ...p,
    metadata: {
      ...p.metadata,
      ownerReferences: [{ apiVersion: 'v1', kind, name, uid: 'u', controller: true }],
    },
  };
}

function withStatus(p: KubeObject, status: Record<string, unknown>): KubeObject {
  return { ...p, status };
}

function peersOf(objects: KubeObject[]): string[] {
  const { analysis } = analyzeInventory(inventoryOf(objects));
  return analysis.peers.map((_, i) => analysis.nameOf(i)).sort();
}

const job: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'migrate', namespace: 'app' },
  spec: {
    template: { metadata: { labels: { app: 'migrate' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
  },
};

const rows: { name: string; objects: KubeObject[]; peers: string[] }[] = [
  {
    name: 'static pods mirrored by one node are four workloads, not one [Node]',
    objects: ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) =>
      withOwner(
        pod(`${c}-minikube`, 'kube-system', { component: c, tier: 'control-plane' }),
        'Node',
        'minikube',
      ),
    ),
    peers: [
      'kube-system/etcd-minikube[Pod]',
      'kube-system/kube-apiserver-minikube[Pod]',
      'kube-system/kube-controller-manager-minikube[Pod]',
      'kube-system/kube-scheduler-minikube[Pod]',
    ],
  },
  {
    name: 'pods of a ReplicaSet are still one workload',
    objects: [
      withOwner(pod('web-1', 'app', { app: 'web' }), 'ReplicaSet', 'web-5d8f'),
      withOwner(pod('web-2', 'app', { app: 'web' }), 'ReplicaSet', 'web-5d8f'),
    ],
    peers: ['app/web-5d8f[ReplicaSet]'],
  },
  {
    name: 'a Succeeded pod is not a peer',
    objects: [
      pod('web', 'app', { app: 'web' }),
      withStatus(pod('done', 'app', { app: 'x' }), { phase: 'Succeeded' }),
    ],
    peers: ['app/web[Pod]'],
  },
  {
    name: 'a Failed pod is not a peer',
    objects: [
      pod('web', 'app', { app: 'web' }),
      withStatus(pod('oops', 'app', { app: 'x' }), { phase: 'Failed' }),
    ],
    peers: ['app/web[Pod]'],
  },
  {
    name: 'a Running pod is a peer',
    objects: [
      pod('web', 'app', { app: 'web' }),
      withStatus(pod('run', 'app', { app: 'x' }), { phase: 'Running' }),
    ],
    peers: ['app/run[Pod]', 'app/web[Pod]'],
  },
  {
    name: "a completed Job pod does not bring its Job's template back",
    objects: [
      pod('web', 'app', { app: 'web' }),
      job,
      withStatus(withOwner(pod('migrate-x', 'app', { app: 'migrate' }), 'Job', 'migrate'), {
        phase: 'Succeeded',
      }),
    ],
    peers: ['app/web[Pod]'],
  },
  {
    name: 'a Job marked Complete has no pods',
    objects: [
      pod('web', 'app', { app: 'web' }),
      { ...job, status: { conditions: [{ type: 'Complete', status: 'True' }] } },
    ],
    peers: ['app/web[Pod]'],
  },
  {
    name: 'a Job still running is a workload',
    objects: [pod('web', 'app', { app: 'web' }), job],
    peers: ['app/migrate[Job]', 'app/web[Pod]'],
  },
];

describe('peers of the model', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_n, r) => {
    expect(peersOf(r.objects)).toEqual(r.peers);
  });

  it('a completed Job no longer changes the answer', () => {
    // web admits only app=migrate; once the Job has completed nothing reaches web.
    const policy = netpol('web', 'app', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'migrate' } } }] }],
    });
    const done = withStatus(withOwner(pod('migrate-x', 'app', { app: 'migrate' }), 'Job', 'migrate'), {
      phase: 'Succeeded',
    });
    const lines = connList(
      analyzeInventory(inventoryOf([ns('app'), pod('web', 'app', { app: 'web' }), done, policy])).analysis,
    );
    expect(lines.filter((l) => l.dst === 'app/web[Pod]')).toEqual([]);
  });
});
