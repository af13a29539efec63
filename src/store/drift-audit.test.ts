import { describe, expect, it } from 'vitest';
import { LastWriters, resourceOfKind } from './drift-audit.js';

const event = (o: Record<string, unknown>): string =>
  JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    stage: 'ResponseComplete',
    verb: 'update',
    user: { username: 'alice' },
    objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', apiGroup: 'apps' },
    responseStatus: { code: 200 },
    stageTimestamp: '2026-12-07T10:00:00.000000Z',
    ...o,
  });

const web = { kind: 'Deployment', namespace: 'shop', name: 'web' };

describe('LastWriters', () => {
  it.each<[string, string[], { user: string; verb: string; time: string } | undefined]>([
    ['one write', [event({})], { user: 'alice', verb: 'update', time: '2026-12-07T10:00:00.000000Z' }],
    [
      'the latest of several writes, whatever the order',
      [
        event({ stageTimestamp: '2026-12-07T12:00:00Z', user: { username: 'bob' }, verb: 'patch' }),
        event({}),
      ],
      { user: 'bob', verb: 'patch', time: '2026-12-07T12:00:00Z' },
    ],
    ['reads are not writes', [event({ verb: 'get' })], undefined],
    ['a refused write changed nothing', [event({ responseStatus: { code: 403 } })], undefined],
    ['only the completed stage counts', [event({ stage: 'RequestReceived' })], undefined],
    [
      'a subresource is not the object',
      [
        event({
          objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', subresource: 'status' },
        }),
      ],
      undefined,
    ],
    [
      'another object',
      [event({ objectRef: { resource: 'deployments', namespace: 'pay', name: 'web' } })],
      undefined,
    ],
    [
      'malformed lines are skipped',
      ['{not json', 'null', '', '42', event({})],
      { user: 'alice', verb: 'update', time: '2026-12-07T10:00:00.000000Z' },
    ],
    [
      'impersonation names both users',
      [event({ impersonatedUser: { username: 'system:serviceaccount:ci:deployer' } })],
      {
        user: 'alice as system:serviceaccount:ci:deployer',
        verb: 'update',
        time: '2026-12-07T10:00:00.000000Z',
      },
    ],
  ])('%s', (_, lines, expected) => {
    const w = new LastWriters([web]);
    for (const l of lines) w.add(l);
    expect(w.of(web)).toEqual(expected);
  });

  it('finds a Namespace object by its own name', () => {
    const w = new LastWriters([{ kind: 'Namespace', namespace: 'shop', name: 'shop' }]);
    w.add(event({ verb: 'create', objectRef: { resource: 'namespaces', name: 'shop' } }));
    expect(w.of({ kind: 'Namespace', namespace: 'shop', name: 'shop' })?.verb).toBe('create');
  });

  it.each([
    ['Deployment', 'deployments'],
    ['NetworkPolicy', 'networkpolicies'],
    ['Ingress', 'ingresses'],
    ['Gateway', 'gateways'],
    ['ClusterRoleBinding', 'clusterrolebindings'],
  ])('%s is served as %s', (kind, resource) => {
    expect(resourceOfKind(kind)).toBe(resource);
  });
});
