import { describe, expect, it } from 'vitest';
import { CIS_1_10, decodeConfig, evaluateBenchmark } from '../controls/index.js';
import { Inventory, type KubeObject, type Resource } from '../core/index.js';
import { parseManifests } from './manifests.js';
import { componentWorkloads, nodeFactsFromCluster } from './node-cluster.js';

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

function inventory(text: string): Inventory {
  const inv = new Inventory();
  for (const r of parseManifests(text, 'kube-system.yaml').resources) inv.add(r);
  return inv;
}

const PROXY_CONFIG = `apiVersion: v1
kind: ConfigMap
metadata: { name: kube-proxy, namespace: kube-system }
data:
  config.conf: |
    kind: KubeProxyConfiguration
    metricsBindAddress: 0.0.0.0:10249
  other.conf: 'metricsBindAddress: 127.0.0.1:10249'
`;

function proxyDaemonSet(
  mount: string,
  volume: string,
  flag = '--config=/var/lib/kube-proxy/config.conf',
): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: kube-proxy, namespace: kube-system }
spec:
  selector: { matchLabels: { k8s-app: kube-proxy } }
  template:
    metadata: { labels: { k8s-app: kube-proxy } }
    spec:
      containers:
        - name: kube-proxy
          command: [/usr/local/bin/kube-proxy, ${flag}]
          volumeMounts: [${mount}]
      volumes: [${volume}]
`;
}

describe('componentWorkloads', () => {
  it('reads a static pod with the field path and position of every flag', () => {
    const [w, ...rest] = componentWorkloads(
      inventory(`apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-cp1
  namespace: kube-system
  labels: { component: kube-apiserver }
spec:
  containers:
    - name: kube-apiserver
      command:
        - kube-apiserver
        - --profiling=true
`),
    );
    expect(rest).toEqual([]);
    expect(w?.component).toBe('apiserver');
    expect(w?.facts.args).toEqual(['--profiling=true']);
    expect(w?.argPaths).toEqual(['spec.containers[0].command[1]']);
    expect(w?.commandPath).toBe('spec.containers[0].command');
    expect(w?.facts.argLocations).toEqual([{ file: 'kube-system.yaml', line: 12, column: 11 }]);
  });

  it.each<[string, string, string, string | undefined, string | undefined]>([
    [
      'a directory mount: the file name is the key',
      '{ name: cfg, mountPath: /var/lib/kube-proxy }',
      '{ name: cfg, configMap: { name: kube-proxy } }',
      '0.0.0.0:10249',
      undefined,
    ],
    [
      'items map a key to another file name',
      '{ name: cfg, mountPath: /var/lib/kube-proxy/ }',
      '{ name: cfg, configMap: { name: kube-proxy, items: [{ key: other.conf, path: config.conf }] } }',
      '127.0.0.1:10249',
      undefined,
    ],
    [
      'a subPath mount is the file itself',
      '{ name: cfg, mountPath: /var/lib/kube-proxy/config.conf, subPath: config.conf }',
      '{ name: cfg, configMap: { name: kube-proxy } }',
      '0.0.0.0:10249',
      undefined,
    ],
    [
      'a key the ConfigMap lacks is an unreadable config',
      '{ name: cfg, mountPath: /var/lib/kube-proxy }',
      '{ name: cfg, configMap: { name: kube-proxy, items: [{ key: missing.conf, path: config.conf }] } }',
      undefined,
      'ConfigMap kube-system/kube-proxy has no key missing.conf',
    ],
    [
      'a ConfigMap not in the inventory is an unreadable config',
      '{ name: cfg, mountPath: /var/lib/kube-proxy }',
      '{ name: cfg, configMap: { name: elsewhere } }',
      undefined,
      'ConfigMap kube-system/elsewhere is not in the inventory',
    ],
  ])('kube-proxy --config from a ConfigMap volume: %s', (_n, mount, volume, metrics, error) => {
    const [w] = componentWorkloads(inventory(`${PROXY_CONFIG}---\n${proxyDaemonSet(mount, volume)}`));
    expect(w?.component).toBe('proxy');
    expect(w?.commandPath).toBe('spec.template.spec.containers[0].command');
    const value = w?.facts.config?.value as { metricsBindAddress?: string } | undefined;
    expect(value?.metricsBindAddress).toBe(metrics);
    expect(w?.facts.config?.error).toBe(error);
  });

  it('a config file from a hostPath is not visible: no config', () => {
    const [w] = componentWorkloads(
      inventory(
        proxyDaemonSet(
          '{ name: host, mountPath: /var/lib/kube-proxy }',
          '{ name: host, hostPath: { path: /var/lib/kube-proxy } }',
        ),
      ),
    );
    expect(w?.facts.config).toBeUndefined();
  });

  it('a pod its DaemonSet answers for is skipped; pods elsewhere and other apps are not components', () => {
    const pod = (name: string, ns: string, owner: string, app = 'kube-proxy') => `---
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { k8s-app: ${app} }
  ownerReferences: [{ apiVersion: apps/v1, kind: DaemonSet, name: ${owner}, uid: u, controller: true }]
spec: { containers: [{ name: kube-proxy, command: [kube-proxy] }] }
`;
    const found = componentWorkloads(
      inventory(
        proxyDaemonSet('{ name: cfg, mountPath: /x }', '{ name: cfg, emptyDir: {} }') +
          pod('kube-proxy-a', 'kube-system', 'kube-proxy') +
          pod('kube-proxy-b', 'kube-system', 'not-read') +
          pod('kube-proxy-c', 'default', 'kube-proxy') +
          pod('coredns-d', 'kube-system', 'coredns', 'kube-dns'),
      ),
    );
    expect(found.map((w) => `${w.resource.ref.kind}/${w.resource.ref.name}`)).toEqual([
      'DaemonSet/kube-proxy',
      'Pod/kube-proxy-b',
    ]);
  });
});
