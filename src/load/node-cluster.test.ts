import { describe, expect, it } from 'vitest';
import { CIS_1_10, decodeConfig, evaluateBenchmark } from '../controls/index.js';
import type { KubeObject, Resource } from '../core/index.js';
import { nodeFactsFromCluster } from './node-cluster.js';

function pod(
  name: string,
  node: string,
  labels: Record<string, string>,
  container: string,
  command: string[],
): Resource {
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'kube-system', labels },
    spec: { nodeName: node, containers: [{ name: container, command }] },
  };
  return { object, ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'kube-system', name } };
}

describe('nodeFactsFromCluster', () => {
  it('evaluates the static pods and kubelet configz of each node', () => {
    const config = decodeConfig('{"authentication":{"anonymous":{"enabled":false}},"readOnlyPort":10255}');
    if (!config.ok) throw new Error(config.error);
    const nodes = nodeFactsFromCluster(
      [
        pod('kube-apiserver-cp1', 'cp1', { component: 'kube-apiserver' }, 'kube-apiserver', [
          'kube-apiserver',
          '--anonymous-auth=true',
          '--profiling=false',
        ]),
        pod('etcd-cp1', 'cp1', { component: 'etcd' }, 'etcd', ['etcd', '--client-cert-auth=true']),
        pod('coredns-abc', 'cp1', { 'k8s-app': 'kube-dns' }, 'coredns', ['/coredns']),
        pod('kube-proxy-x', 'w1', { 'k8s-app': 'kube-proxy' }, 'kube-proxy', [
          '/usr/local/bin/kube-proxy',
          '--config=/var/lib/kube-proxy/config.conf',
        ]),
      ],
      { kubeletConfigs: { w1: config.value } },
    );
    expect([...nodes.keys()].sort()).toEqual(['cp1', 'w1']);
    const cp1 = evaluateBenchmark(
      CIS_1_10,
      nodes.get('cp1') ?? { components: {}, files: {}, issues: [] },
    ).results;
    const w1 = evaluateBenchmark(
      CIS_1_10,
      nodes.get('w1') ?? { components: {}, files: {}, issues: [] },
    ).results;
    const s = (rs: typeof cp1, id: string): string | undefined => rs.find((r) => r.id === id)?.status;
    expect([s(cp1, '1.2.1'), s(cp1, '1.2.15'), s(cp1, '2.2'), s(cp1, '1.1.1'), s(cp1, '4.2.1')]).toEqual([
      'warn',
      'pass',
      'pass',
      'skip',
      'skip',
    ]);
    expect([s(w1, '4.2.1'), s(w1, '4.2.4'), s(w1, '4.3.1'), s(w1, '1.2.1')]).toEqual([
      'pass',
      'warn',
      'pass',
      'skip',
    ]);
  });
});
