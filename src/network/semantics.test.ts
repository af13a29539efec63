/**
 * One row per NetworkPolicy semantic point (networking.k8s.io/v1): a small cluster, a
 * connection, and the exact set of connections the policies allow for it.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { analyzeInventory, compilePolicies, connList } from './index.js';
import { inventoryOf, netpol, ns, pod } from './testing.js';

const base: KubeObject[] = [
  ns('a', { team: 'a', env: 'prod' }),
  ns('b', { team: 'b', env: 'dev' }),
  pod('web', 'a', { app: 'web', tier: 'front' }, [{ name: 'http', containerPort: 8080 }]),
  pod('api', 'a', { app: 'api', tier: 'back' }, [
    { name: 'http', containerPort: 9090 },
    { name: 'metrics', containerPort: 9100, protocol: 'UDP' },
  ]),
  pod('db', 'a', { app: 'db' }, [], '10.1.2.3'),
  pod('client', 'b', { app: 'client' }),
];

/** Which connection to ask about: pod names as `ns/name`, or an external address. */
type Endpoint = string | { ip: string };

interface Row {
  point: string;
  policies: KubeObject[];
  from: Endpoint;
  to: Endpoint;
  expected: string;
  extra?: KubeObject[];
}

const denyIngress = (namespace: string, selector: Record<string, unknown> = {}): KubeObject =>
  netpol(`deny-${namespace}`, namespace, { podSelector: selector, policyTypes: ['Ingress'] });

const rows: Row[] = [
  {
    point: 'no policy: everything allowed',
    policies: [],
    from: 'a/web',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'podSelector {} with no ingress rules isolates and denies all ingress',
    policies: [denyIngress('a')],
    from: 'a/web',
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'ingress isolation does not restrict the pod egress',
    policies: [denyIngress('a', { matchLabels: { app: 'api' } })],
    from: 'a/api',
    to: 'a/web',
    expected: 'All Connections',
  },
  {
    point: 'policyTypes absent: egress rules make the policy an egress policy',
    policies: [
      netpol('p', 'a', {
        podSelector: { matchLabels: { app: 'web' } },
        egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }],
      }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'UDP 53',
  },
  {
    point: 'policyTypes absent: an empty egress list does not isolate egress',
    policies: [netpol('p', 'a', { podSelector: { matchLabels: { app: 'web' } }, egress: [] })],
    from: 'a/web',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'policyTypes absent: Ingress is always implied (no rules = deny)',
    policies: [netpol('p', 'a', { podSelector: { matchLabels: { app: 'api' } }, egress: [{}] })],
    from: 'a/web',
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'policyTypes [Egress]: ingress rules written anyway are ignored',
    policies: [
      netpol('p', 'a', {
        podSelector: { matchLabels: { app: 'api' } },
        policyTypes: ['Egress'],
        ingress: [{ ports: [{ port: 1 }] }],
      }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'from absent: every source',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] })],
    from: 'b/client',
    to: 'a/api',
    expected: 'TCP 80',
  },
  {
    point: 'from empty list: every source, external included',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ from: [], ports: [{ port: 80 }] }] })],
    from: { ip: '8.8.8.8' },
    to: 'a/api',
    expected: 'TCP 80',
  },
  {
    point: 'ports absent: every protocol and port',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] })],
    from: 'a/web',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'ports empty list: every protocol and port',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }], ports: [] }] })],
    from: 'a/web',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'ingress: [{}] allows everything',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{}] })],
    from: { ip: '1.2.3.4' },
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'protocol defaults to TCP',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ ports: [{ port: 443 }] }] })],
    from: 'a/web',
    to: 'a/api',
    expected: 'TCP 443',
  },
  {
    point: 'a port entry without port allows every port of its protocol',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ ports: [{ protocol: 'SCTP' }] }] })],
    from: 'a/web',
    to: 'a/api',
    expected: 'SCTP 1-65535',
  },
  {
    point: 'endPort makes a range',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [{ ports: [{ port: 32000, endPort: 32768 }, { port: 80 }] }],
      }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'TCP 80,32000-32768',
  },
  {
    point: 'named port resolves against the destination pod (ingress)',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }] }] })],
    from: 'a/web',
    to: 'a/api',
    expected: 'TCP 9090',
  },
  {
    point: 'named port resolves per selected pod: the other pod gets its own number',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }] }] })],
    from: 'a/api',
    to: 'a/web',
    expected: 'TCP 8080',
  },
  {
    point: 'named port must match the protocol of the container port',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [
          {
            ports: [
              { port: 'metrics', protocol: 'TCP' },
              { port: 'http', protocol: 'UDP' },
            ],
          },
        ],
      }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'named UDP port',
    policies: [
      netpol('p', 'a', { podSelector: {}, ingress: [{ ports: [{ port: 'metrics', protocol: 'UDP' }] }] }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'UDP 9100',
  },
  {
    point: 'named port the destination does not expose matches nothing',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ ports: [{ port: 'grpc' }] }] })],
    from: 'a/web',
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'egress named port resolves against the destination pod',
    policies: [
      netpol('p', 'a', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 'http' }] }],
      }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'TCP 9090',
  },
  {
    point: 'egress named port to an external address matches nothing',
    policies: [
      netpol('p', 'a', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 'http' }, { port: 443 }] }],
      }),
    ],
    from: 'a/web',
    to: { ip: '93.184.216.34' },
    expected: 'TCP 443',
  },
  {
    point: 'podSelector peer alone selects pods of the policy namespace only',
    policies: [
      netpol('p', 'a', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }],
      }),
    ],
    from: 'b/client',
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'namespaceSelector peer alone selects every pod of matching namespaces',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'b' } } }] }],
      }),
    ],
    from: 'b/client',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'namespaceSelector and podSelector in one peer intersect (match)',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: 'b' } },
                podSelector: { matchLabels: { app: 'client' } },
              },
            ],
          },
        ],
      }),
    ],
    from: 'b/client',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'namespaceSelector and podSelector in one peer intersect (pod label missing)',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: 'b' } },
                podSelector: { matchLabels: { app: 'web' } },
              },
            ],
          },
        ],
      }),
    ],
    from: 'b/client',
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'namespaceSelector {} selects pods of every namespace',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] })],
    from: 'b/client',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'namespaceSelector {} does not select external addresses',
    policies: [netpol('p', 'a', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] })],
    from: { ip: '8.8.8.8' },
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'kubernetes.io/metadata.name is set on every namespace',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'b' } } }] }],
      }),
    ],
    from: 'b/client',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'matchExpressions In',
    policies: [
      netpol('p', 'a', {
        podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['api', 'db'] }] },
        policyTypes: ['Ingress'],
      }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'matchExpressions NotIn (label absent counts as not in)',
    policies: [
      netpol('p', 'a', {
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] },
        policyTypes: ['Ingress'],
      }),
    ],
    from: 'a/web',
    to: 'a/db',
    expected: 'No Connections',
  },
  {
    point: 'matchExpressions NotIn excludes the listed value',
    policies: [
      netpol('p', 'a', {
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] },
        policyTypes: ['Ingress'],
      }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'matchExpressions Exists',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } }] }],
      }),
    ],
    from: 'a/db',
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'matchExpressions DoesNotExist',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [
          { from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } }] },
        ],
      }),
    ],
    from: 'a/db',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'ipBlock cidr allows addresses inside it',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }],
      }),
    ],
    from: { ip: '10.2.0.1' },
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'ipBlock except removes addresses',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }],
      }),
    ],
    from: { ip: '10.1.0.1' },
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'ipBlock IPv6 with except (inside)',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [
          {
            from: [{ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }],
            ports: [{ port: 443 }],
          },
        ],
      }),
    ],
    from: { ip: '2001:db8:2::5' },
    to: 'a/api',
    expected: 'TCP 443',
  },
  {
    point: 'ipBlock IPv6 except (excluded)',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [{ from: [{ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }] }],
      }),
    ],
    from: { ip: '2001:db8:1::5' },
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'an IPv4 ipBlock does not admit IPv6 sources',
    policies: [
      netpol('p', 'a', {
        podSelector: {},
        ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: 'fd00::/8' } }] }],
      }),
    ],
    from: { ip: '2001:db8::1' },
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'ipBlock selects external addresses, not pods whose IP it covers',
    policies: [
      netpol('p', 'a', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }],
      }),
    ],
    from: 'a/db',
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'both directions: egress and ingress port sets intersect',
    policies: [
      netpol('e', 'a', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 80, endPort: 90 }] }],
      }),
      netpol('i', 'a', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [
          {
            ports: [
              { port: 85, endPort: 100 },
              { port: 53, protocol: 'UDP' },
            ],
          },
        ],
      }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'TCP 85-90',
  },
  {
    point: 'both directions: egress allows but destination ingress denies',
    policies: [
      netpol('e', 'a', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [{}],
      }),
      denyIngress('a', { matchLabels: { app: 'api' } }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'No Connections',
  },
  {
    point: 'several policies selecting a pod: their rules add up',
    policies: [
      netpol('p1', 'a', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }),
      netpol('p2', 'a', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ ports: [{ port: 81 }] }],
      }),
    ],
    from: 'a/web',
    to: 'a/api',
    expected: 'TCP 80-81',
  },
  {
    point: 'a policy of another namespace does not select the pod',
    policies: [denyIngress('b')],
    from: 'a/web',
    to: 'a/api',
    expected: 'All Connections',
  },
  {
    point: 'egress to an external range denied by default-deny egress',
    policies: [netpol('p', 'a', { podSelector: {}, policyTypes: ['Egress'] })],
    from: 'a/web',
    to: { ip: '1.1.1.1' },
    expected: 'No Connections',
  },
];

function endpointIndex(
  analysis: ReturnType<typeof analyzeInventory>['analysis'],
  e: Endpoint,
  direction: 'ingress' | 'egress',
): number {
  const i = typeof e === 'string' ? analysis.findPeer(e) : analysis.externalFor(e.ip, direction);
  if (i === undefined) throw new Error(`no endpoint ${JSON.stringify(e)}`);
  return i;
}

describe('NetworkPolicy semantics', () => {
  it.each(rows.map((r) => [r.point, r] as const))('%s', (_point, row) => {
    const inv = inventoryOf([...base, ...(row.extra ?? []), ...row.policies]);
    for (const granularity of ['pod', 'workload'] as const) {
      const { analysis, issues } = analyzeInventory(inv, { granularity });
      expect(issues).toEqual([]);
      const src = endpointIndex(analysis, row.from, 'ingress');
      const dst = endpointIndex(analysis, row.to, 'egress');
      expect(analysis.allowed(src, dst).toString()).toBe(row.expected);
      // The matrix agrees with the point query.
      const line = analysis.connections().find((c) => c.src === src && c.dst === dst);
      expect(line?.conn.toString() ?? 'No Connections').toBe(row.expected);
    }
  });
});

describe('invalid policies are reported with their field path', () => {
  it.each([
    [
      'endPort with a named port',
      { podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] },
      'spec.ingress[0].ports[0].endPort',
    ],
    [
      'endPort below port',
      { podSelector: {}, ingress: [{ ports: [{ port: 90, endPort: 80 }] }] },
      'spec.ingress[0].ports[0].endPort',
    ],
    [
      'port out of range',
      { podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] },
      'spec.ingress[0].ports[0].port',
    ],
    [
      'unknown protocol',
      { podSelector: {}, ingress: [{ ports: [{ protocol: 'ICMP' }] }] },
      'spec.ingress[0].ports[0].protocol',
    ],
    [
      'except outside cidr',
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/8'] } }] }] },
      'spec.ingress[0].from[0].ipBlock.except[0]',
    ],
    [
      'except of another family',
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['fd00::/8'] } }] }] },
      'spec.ingress[0].from[0].ipBlock.except[0]',
    ],
    [
      'invalid cidr',
      { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.300/8' } }] }] },
      'spec.egress[0].to[0].ipBlock.cidr',
    ],
    [
      'ipBlock with podSelector',
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] },
      'spec.ingress[0].from[0]',
    ],
    ['empty peer', { podSelector: {}, ingress: [{ from: [{}] }] }, 'spec.ingress[0].from[0]'],
    [
      'unknown operator',
      { podSelector: { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] } },
      'spec.podSelector.matchExpressions[0].operator',
    ],
    [
      'In without values',
      { podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } },
      'spec.podSelector.matchExpressions[0].values',
    ],
    ['unknown policy type', { podSelector: {}, policyTypes: ['Sideways'] }, 'spec.policyTypes[0]'],
  ])('%s', (_name, spec, path) => {
    const { policies, issues } = compilePolicies(inventoryOf([netpol('bad', 'a', spec)]).resources);
    expect(policies).toEqual([]);
    expect(issues.map((i) => i.path)).toEqual([path]);
  });
});

describe('containers of the wrong shape (inventories that skipped the loader)', () => {
  it.each([[{}], ['x'], [5], [[null, 'x', { name: 7 }]]])(
    'ports: %j names no port and crashes nothing',
    (ports) => {
      const odd = pod('odd', 'a', { app: 'odd' });
      (odd.spec as { containers: Record<string, unknown>[] }).containers[0] = {
        name: 'c',
        image: 'i',
        ports,
      };
      const inv = inventoryOf([
        ns('a'),
        odd,
        pod('web', 'a', { app: 'web' }, [{ name: 'http', containerPort: 80 }]),
        netpol('named', 'a', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }] }] }),
      ]);
      const { analysis } = analyzeInventory(inv);
      const lines = connList(analysis).map((l) => `${l.src} => ${l.dst} : ${l.conn.toString()}`);
      expect(lines).toContain('a/odd[Pod] => a/web[Pod] : TCP 80');
      expect(lines.some((l) => l.includes('=> a/odd[Pod]'))).toBe(false);
    },
  );
});

describe('--ipblock-matches-pods: ipBlocks select the pods whose IPs they cover', () => {
  // db has IP 10.1.2.3 (status.podIP); a second pod has it in status.podIPs only.
  const dual = {
    ...pod('cache', 'b', { app: 'cache' }),
    status: { podIPs: [{ ip: '10.9.0.7' }, { ip: 'fd00::7' }] },
  };
  const objects = [...base, dual];
  const onlyCidr = (cidr: string): KubeObject =>
    netpol('only-cidr', 'a', {
      podSelector: { matchLabels: { app: 'api' } },
      ingress: [{ from: [{ ipBlock: { cidr } }] }],
    });
  const egressCidr = (cidr: string): KubeObject =>
    netpol('to-cidr', 'a', {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr } }] }],
    });
  const conn = (policy: KubeObject, from: string, to: string, on: boolean): string => {
    const { analysis } = analyzeInventory(inventoryOf([...objects, policy]), {
      granularity: 'pod',
      ipBlockMatchesPods: on,
    });
    const s = analysis.findPeer(from) ?? -1;
    const d = analysis.findPeer(to) ?? -1;
    return analysis.allowed(s, d).toString();
  };

  it.each([
    [
      'ingress from a CIDR covering the source pod IP',
      onlyCidr('10.1.0.0/16'),
      'a/db',
      'a/api',
      'No Connections',
      'All Connections',
    ],
    [
      'ingress from a CIDR not covering it',
      onlyCidr('10.2.0.0/16'),
      'a/db',
      'a/api',
      'No Connections',
      'No Connections',
    ],
    [
      'a pod without a known IP is never matched',
      onlyCidr('0.0.0.0/0'),
      'b/client',
      'a/api',
      'No Connections',
      'No Connections',
    ],
    [
      'status.podIPs counts (IPv6 too)',
      onlyCidr('fd00::/8'),
      'b/cache',
      'a/api',
      'No Connections',
      'All Connections',
    ],
    [
      'egress to a CIDR covering the destination pod IP',
      egressCidr('10.1.2.3/32'),
      'a/web',
      'a/db',
      'No Connections',
      'All Connections',
    ],
    [
      'except carves the pod out',
      netpol('only-cidr', 'a', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.2.0/24'] } }] }],
      }),
      'a/db',
      'a/api',
      'No Connections',
      'No Connections',
    ],
  ])('%s', (_name, policy, from, to, off, on) => {
    expect(conn(policy, from, to, false)).toBe(off);
    expect(conn(policy, from, to, true)).toBe(on);
  });
});
