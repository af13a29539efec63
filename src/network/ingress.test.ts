import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { analyzeInventory, ingressControllerLines } from './index.js';
import { inventoryOf, netpol, ns, pod } from './testing.js';

const service = (targetPort: number | string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort }] },
});
const ingress: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    rules: [
      {
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
          ],
        },
      },
    ],
  },
};

describe('ingress controller lines', () => {
  it.each([
    ['numeric targetPort, no policy', service(8080), [], 'TCP 8080'],
    ['named targetPort resolved on the pod', service('web-http'), [], 'TCP 8443'],
    [
      'policy admitting every pod of every namespace keeps it',
      service(8080),
      [
        netpol('p', 'shop', {
          podSelector: {},
          ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8080 }] }],
        }),
      ],
      'TCP 8080',
    ],
    [
      'policy admitting only a named namespace drops it',
      service(8080),
      [
        netpol('p', 'shop', {
          podSelector: {},
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }] }],
        }),
      ],
      undefined,
    ],
  ])('%s', (_name, svc, policies, expected) => {
    const inv = inventoryOf([
      ns('shop'),
      pod('web', 'shop', { app: 'web' }, [{ name: 'web-http', containerPort: 8443 }]),
      svc,
      ingress,
      ...policies,
    ]);
    const { analysis } = analyzeInventory(inv);
    const lines = ingressControllerLines(analysis, inv.resources);
    expect(lines.map((l) => `${l.src} => ${l.dst} : ${l.conn.toString()}`)).toEqual(
      expected === undefined ? [] : [`{ingress-controller} => shop/web[Pod] : ${expected}`],
    );
  });
});
