/**
 * The "wide" NetworkPolicy shape (issue 19): one namespace per workload and one policy per
 * namespace, each policy naming its peers through namespace selectors (by name, by team
 * label, every namespace) combined with pod selectors, named ports, ipBlocks and DNS egress.
 * Teams hold about 100 namespaces, so the number of allowed connections grows linearly.
 */
import type { KubeObject } from '../src/core/index.js';

export function wideCluster(namespaces: number): KubeObject[] {
  const out: KubeObject[] = [];
  const teams = Math.max(1, Math.round(namespaces / 100));
  const roles = ['frontend', 'backend', 'db'] as const;
  const nsName = (i: number): string => (i === 0 ? 'kube-system' : i === 1 ? 'monitoring' : `svc-${i}`);
  for (let i = 0; i < namespaces; i++) {
    const ns = nsName(i);
    const team = `team-${i % teams}`;
    const role = roles[i % roles.length] ?? 'frontend';
    const app = i === 0 ? 'kube-dns' : i === 1 ? 'prometheus' : `app-${i}`;
    out.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { team, tier: i % 7 === 0 ? 'shared' : 'product' } },
    });
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${app}-0`,
        namespace: ns,
        labels: { app, role, ...(i === 0 ? { 'k8s-app': 'kube-dns' } : {}) },
      },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'img:1',
            ports: [
              { name: 'http', containerPort: 8080 + (i % 3) },
              { name: 'metrics', containerPort: 9100 },
              ...(i === 0 ? [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] : []),
            ],
          },
        ],
      },
      status: { podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
    });
    const prev = nsName(i > 2 ? i - 1 : namespaces - 1);
    const ingress: unknown[] = [
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': prev } } }],
        ports: [{ port: 'http' }],
      },
      {
        from: [
          {
            namespaceSelector: { matchLabels: { team } },
            podSelector: { matchLabels: { role: 'frontend' } },
          },
        ],
        ports: [{ port: 8080, endPort: 8082 }],
      },
      {
        from: [
          {
            namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
            podSelector: { matchLabels: { role: 'frontend' } },
          },
        ],
        ports: [{ port: 8443 }],
      },
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { app: 'prometheus' } },
          },
        ],
        ports: [{ port: 'metrics' }],
      },
    ];
    if (i % 10 === 3)
      ingress.push({
        from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', `192.168.${i % 256}.0/24`] } }],
        ports: [{ port: 443 }],
      });
    if (i % 50 === 4)
      ingress.push({
        from: [
          {
            namespaceSelector: {},
            podSelector: {
              matchExpressions: [{ key: 'role', operator: 'In', values: ['frontend', 'backend'] }],
            },
          },
        ],
        ports: [{ port: 'http' }],
      });
    const egress: unknown[] = [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
      {
        to: [
          {
            namespaceSelector: { matchLabels: { team } },
            podSelector: { matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['frontend'] }] },
          },
        ],
      },
      { to: [{ namespaceSelector: { matchLabels: { tier: 'shared' } } }], ports: [{ port: 'http' }] },
    ];
    if (i % 10 === 7)
      egress.push({
        to: [
          { ipBlock: { cidr: `${(i % 200) + 1}.0.0.0/8`, except: [`${(i % 200) + 1}.${i % 250}.0.0/16`] } },
        ],
        ports: [{ port: 443 }],
      });
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${app}-policy`, namespace: ns },
      spec: {
        podSelector: i % 2 === 0 ? {} : { matchLabels: { app } },
        policyTypes: i % 9 === 8 ? ['Ingress'] : ['Ingress', 'Egress'],
        ingress,
        ...(i % 9 === 8 ? {} : { egress }),
      },
    });
  }
  return out;
}

/**
 * An adversarial shape the engine was not tuned for: every pod has a unique label, and
 * every policy selects pods, sources and destinations with overlapping `matchExpressions`
 * (`NotIn` and `DoesNotExist` defeat the label index), so selections overlap arbitrarily
 * and almost every pod ends up in a class of its own. `pods` pods in pods/50 namespaces,
 * as many policies.
 */
export function adversarialCluster(pods: number): KubeObject[] {
  let s = 7;
  const rand = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const int = (k: number): number => Math.floor(rand() * k);
  const out: KubeObject[] = [];
  const namespaces = Math.max(1, Math.round(pods / 50));
  for (let i = 0; i < namespaces; i++)
    out.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: `adv-${i}`, labels: { zone: `z${i % 7}`, ...(i % 3 === 0 ? { pci: 'yes' } : {}) } },
    });
  for (let i = 0; i < pods; i++)
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `p-${i}`,
        namespace: `adv-${int(namespaces)}`,
        labels: {
          id: `u${i}`,
          a: `a${int(10)}`,
          b: `b${int(10)}`,
          ...(rand() < 0.5 ? { c: `c${int(4)}` } : {}),
        },
      },
      spec: {
        containers: [{ name: 'c', image: 'img:1', ports: [{ name: 'web', containerPort: 8000 + int(50) }] }],
      },
    });
  const expr = (): Record<string, unknown> => {
    const key = ['a', 'b', 'c'][int(3)] ?? 'a';
    const values = [`${key}${int(10)}`, `${key}${int(10)}`, `${key}${int(10)}`];
    switch (int(4)) {
      case 0:
        return { key, operator: 'In', values };
      case 1:
        return { key, operator: 'NotIn', values };
      case 2:
        return { key, operator: 'Exists' };
      default:
        return { key, operator: 'DoesNotExist' };
    }
  };
  const sel = (): Record<string, unknown> => ({ matchExpressions: [expr(), expr()] });
  for (let i = 0; i < pods; i++)
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `np-${i}`, namespace: `adv-${int(namespaces)}` },
      spec: {
        podSelector: sel(),
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchExpressions: [{ key: 'zone', operator: 'NotIn', values: [`z${int(7)}`] }],
                },
                podSelector: sel(),
              },
              { podSelector: sel() },
            ],
            ports: [{ port: 'web' }, { port: 9000 + int(100), endPort: 9200 }],
          },
        ],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { pci: 'yes' } }, podSelector: sel() }],
            ports: [{ port: 'web' }],
          },
          { to: [{ podSelector: sel() }] },
        ],
      },
    });
  return out;
}
