import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFiles } from '../load/index.js';
import type { KubeObject } from '../core/index.js';
import {
  diffInventories,
  exposureSentence,
  formatDiffSarif,
  formatDiffText,
  INGRESS_CONTROLLER,
} from './index.js';
import { inventoryOf, netpol, ns, pod } from './testing.js';

const DIR = path.join(import.meta.dirname, 'testdata/diff');

describe('netpol diff', async () => {
  const base = (await loadFiles(['base'], { cwd: DIR })).inventory;
  const head = (await loadFiles(['head'], { cwd: DIR })).inventory;
  const diff = diffInventories(base, head);

  it('reports the added path as new exposure attributed to the rule that opened it', () => {
    const d = diff.diffs.find(
      (x) => x.src === 'shop/frontend[Deployment]' && x.dst === 'shop/payments-db[StatefulSet]',
    );
    expect(d).toMatchObject({
      change: 'added',
      before: 'No Connections',
      after: 'TCP 5432',
      newExposure: true,
    });
    expect(d && exposureSentence(d)).toBe('frontend can now reach payments-db on TCP 5432');
    expect(d?.attribution.map((a) => [a.description, a.location?.file, a.location?.line])).toEqual([
      ['NetworkPolicy shop/db-ingress spec.ingress[1]', path.join('head', 'policies.yaml'), 16],
    ]);
  });

  it('reports removed paths without flagging them', () => {
    const removed = diff.diffs.filter((x) => x.change === 'removed');
    // head's default deny now covers every pod: paths into frontend and payments close.
    expect(removed.map((r) => `${r.src} => ${r.dst}`)).toEqual([
      '0.0.0.0-255.255.255.255[External] => shop/frontend[Deployment]',
      '0.0.0.0-255.255.255.255[External] => shop/payments[Deployment]',
      'shop/frontend[Deployment] => shop/payments[Deployment]',
      'shop/payments-db[StatefulSet] => shop/frontend[Deployment]',
      'shop/payments-db[StatefulSet] => shop/payments[Deployment]',
      'shop/payments[Deployment] => shop/frontend[Deployment]',
    ]);
    expect(removed.every((r) => !r.newExposure)).toBe(true);
    expect(diff).toMatchObject({ added: 1, removed: 6, changed: 0, newExposure: 1 });
  });

  it('is empty for identical inputs', () => {
    expect(diffInventories(base, base).diffs).toEqual([]);
  });

  it('writes SARIF pointing at the policy', () => {
    const sarif = JSON.parse(formatDiffSarif(diff, { name: 'palisade', version: 't' })) as {
      runs: {
        results: {
          ruleId: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }[];
        }[];
      }[];
    };
    const results = sarif.runs[0]?.results ?? [];
    expect(results).toHaveLength(1);
    expect(results[0]?.locations[0]?.physicalLocation).toMatchObject({
      artifactLocation: { uri: 'head/policies.yaml' },
      region: { startLine: 16 },
    });
  });
});

describe('netpol diff: the ingress controller', () => {
  // np-guard's k8s_ingress_test pair: an Ingress routes to default/unicorn on 8080; the base
  // isolates unicorn with no ingress rule, the head admits in-cluster pods on TCP 8080.
  const common: KubeObject[] = [
    ns('default'),
    pod('unicorn', 'default', { app: 'unicorn' }),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'unicorn', namespace: 'default' },
      spec: { selector: { app: 'unicorn' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'default' },
      spec: { defaultBackend: { service: { name: 'unicorn', port: { number: 80 } } } },
    },
  ];
  const deny = netpol('unicorn', 'default', {
    podSelector: { matchLabels: { app: 'unicorn' } },
    policyTypes: ['Ingress'],
  });
  const allow = netpol('unicorn', 'default', {
    podSelector: { matchLabels: { app: 'unicorn' } },
    ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8080 }] }],
  });

  it('reports {ingress-controller} => default/unicorn : No Connections -> TCP 8080', () => {
    const d = diffInventories(inventoryOf([...common, deny]), inventoryOf([...common, allow]));
    const line = d.diffs.find((x) => x.src === INGRESS_CONTROLLER);
    expect(line).toMatchObject({
      dst: 'default/unicorn[Pod]',
      change: 'added',
      before: 'No Connections',
      after: 'TCP 8080',
      newExposure: true,
      newPeer: false,
    });
    expect(line?.attribution.map((a) => a.description)).toEqual([
      'NetworkPolicy default/unicorn admits in-cluster pods, the ingress controller included',
    ]);
    expect(formatDiffText(d)).toContain(
      '{ingress-controller} => default/unicorn[Pod] : No Connections -> TCP 8080',
    );
  });

  it('reports the ingress controller losing access', () => {
    const d = diffInventories(inventoryOf([...common, allow]), inventoryOf([...common, deny]));
    expect(d.diffs.filter((x) => x.src === INGRESS_CONTROLLER)).toMatchObject([
      { change: 'removed', before: 'TCP 8080', after: 'No Connections', newExposure: false },
    ]);
  });
});
