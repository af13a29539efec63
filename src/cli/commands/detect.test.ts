import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';
import { runDetect, type DetectRunOptions } from './detect.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-detect-cli-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const f = path.join(tmp, rel);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, text);
  return f;
}

function event(verb: string, resource: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: `id-${verb}-${resource}-${Math.random().toString(36).slice(2, 8)}`,
    stage: 'ResponseComplete',
    stageTimestamp: '2026-12-07T10:00:00Z',
    verb,
    user: { username: 'mallory@example.com', groups: ['system:authenticated'] },
    sourceIPs: ['203.0.113.66'],
    objectRef: { resource, namespace: 'payments', name: 'x' },
    responseStatus: { code: 200 },
    ...extra,
  };
}

const PLANTED = 'c3VwZXItc2VjcmV0LXZhbHVlLTQy';

const LOG = [
  event('create', 'pods', {
    objectRef: { resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'db-0' },
    requestURI: '/api/v1/namespaces/payments/pods/db-0/exec?command=sh',
  }),
  event('create', 'clusterrolebindings', {
    objectRef: { resource: 'clusterrolebindings', name: 'backdoor', apiGroup: 'rbac.authorization.k8s.io' },
    requestObject: {
      kind: 'ClusterRoleBinding',
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'User', name: 'mallory' }],
    },
  }),
  event('create', 'secrets', {
    objectRef: { resource: 'secrets', namespace: 'payments', name: 'sa-token' },
    requestObject: {
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      data: { token: PLANTED },
      stringData: { password: PLANTED },
    },
  }),
  event('get', 'configmaps'),
]
  .map((e) => JSON.stringify(e))
  .join('\n');

describe('palisade detect run', () => {
  it('prints one JSON alert per line with the documented fields, exit 1 at --fail-on', async () => {
    const f = write('audit.jsonl', `${LOG}\n`);
    const io = memoryIO({ cwd: tmp });
    const code = await main(['detect', 'run', f, '-o', 'json', '-q'], io);
    expect(code).toBe(1);
    const alerts = io
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const rules = alerts.map((a) => a.rule);
    expect(rules).toEqual(
      expect.arrayContaining(['pod-exec', 'cluster-admin-binding', 'serviceaccount-token-secret-created']),
    );
    for (const a of alerts)
      for (const k of ['rule', 'severity', 'mitre', 'message', 'subject', 'target', 'time', 'evidence'])
        expect(a).toHaveProperty(k);
    const exec = alerts.find((a) => a.rule === 'pod-exec');
    expect(exec?.message).toBe('mallory@example.com ran "sh" in pod payments/db-0');
  });

  it('never copies Secret data into any alert format', async () => {
    const f = write('secret.jsonl', `${LOG}\n`);
    for (const fmt of ['json', 'ecs', 'cef', 'syslog', 'slack', 'table']) {
      const io = memoryIO({ cwd: tmp });
      await main(['detect', 'run', f, '-o', fmt, '--fail-on', 'none'], io);
      expect(io.out().length, fmt).toBeGreaterThan(0);
      expect(io.out() + io.err(), fmt).not.toContain(PLANTED);
    }
  });

  it('names the feed and indicator of a threat-intelligence hit', async () => {
    const f = write('ioc.jsonl', `${JSON.stringify(event('list', 'pods'))}\n`);
    const feed = write(
      'feed.csv',
      'value,type,confidence,description\n203.0.113.0/24,cidr,90,known scanner range\n',
    );
    const io = memoryIO({ cwd: tmp });
    const code = await main(['detect', 'run', f, '--feed', feed, '-o', 'json', '-q'], io);
    expect(code).toBe(1);
    const alert = JSON.parse(io.out().trim().split('\n')[0] ?? '{}') as {
      rule: string;
      intel: { feed: string; indicator: string }[];
    };
    expect(alert.rule).toBe('intel-source-ip');
    expect(alert.intel[0]).toMatchObject({ feed, indicator: '203.0.113.0/24' });
  });

  it('fails closed: an empty file is exit 2, not a clean run', async () => {
    const f = write('empty.jsonl', '');
    const io = memoryIO({ cwd: tmp });
    expect(await main(['detect', 'run', f], io)).toBe(2);
    expect(io.err()).toContain('no events in the input');
  });

  it('reports unreadable lines with file:line and judges the rest (exit 2)', async () => {
    const f = write('broken.jsonl', `${LOG}\nnot json\n{"kind":"Pod"}\n`);
    const io = memoryIO({ cwd: tmp });
    expect(await main(['detect', 'run', f, '-o', 'json'], io)).toBe(2);
    expect(io.err()).toContain('broken.jsonl:5: not a JSON object');
    expect(io.err()).toMatch(/broken\.jsonl:6: not a Kubernetes audit event/);
    expect(io.out()).toContain('pod-exec');
  });

  it('reads an EventList document (the audit webhook body) and a pretty-printed JSON array', async () => {
    const list = write(
      'list.json',
      JSON.stringify(
        {
          kind: 'EventList',
          apiVersion: 'audit.k8s.io/v1',
          items: JSON.parse(`[${LOG.split('\n').join(',')}]`) as unknown[],
        },
        null,
        2,
      ),
    );
    const io = memoryIO({ cwd: tmp });
    expect(await main(['detect', 'run', list, '-o', 'json', '--fail-on', 'none'], io)).toBe(0);
    expect(io.out()).toContain('cluster-admin-binding');
  });

  it('refuses unknown formats and bad CIDRs as usage errors', async () => {
    const f = write('a.jsonl', `${LOG}\n`);
    expect(await main(['detect', 'run', f, '-o', 'xml'], memoryIO({ cwd: tmp }))).toBe(2);
    expect(await main(['detect', 'run', f, '--trusted-network', '10.0.0.0/99'], memoryIO({ cwd: tmp }))).toBe(
      2,
    );
    expect(await main(['detect', 'run'], memoryIO({ cwd: tmp }))).toBe(2);
  });

  it('follows a growing file and judges appended events', async () => {
    const f = write('follow.jsonl', `${JSON.stringify(event('get', 'configmaps'))}\n`);
    const io = memoryIO({ cwd: tmp });
    const ac = new AbortController();
    const options: DetectRunOptions = {
      output: ['json'],
      rules: [],
      builtin: true,
      feeds: [],
      approvedRegistries: [],
      trustedSubjects: [],
      trustedNetworks: [],
      dedup: '600',
      follow: true,
      failOn: 'high',
      quiet: true,
      signal: ac.signal,
    };
    const run = runDetect([f], options, io);
    appendFileSync(
      f,
      `${JSON.stringify(event('list', 'secrets', { objectRef: { resource: 'secrets' } }))}\n`,
    );
    for (let i = 0; i < 400 && !io.out().includes('secrets-listed-all-namespaces'); i++)
      await new Promise((r) => setImmediate(r)).then(() => new Promise((r) => setTimeout(r, 10)));
    ac.abort();
    expect(await run).toBe(1);
    expect(io.out()).toContain('secrets-listed-all-namespaces');
  });
});

describe('palisade detect learn and run --baseline', () => {
  it('learns a training window, then alerts on what an identity never did, and keeps the baseline', async () => {
    const normal = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify(
        event('get', 'configmaps', {
          user: { username: 'system:serviceaccount:ci:bot' },
          sourceIPs: ['10.0.0.9'],
          stageTimestamp: new Date(Date.parse('2026-11-01T00:00:00Z') + i * 3_600_000).toISOString(),
          objectRef: { resource: 'configmaps', namespace: 'ci', name: 'c' },
        }),
      ),
    ).join('\n');
    const train = write('train.jsonl', `${normal}\n`);
    const baseline = path.join(tmp, 'baseline.json');
    const learn = memoryIO({ cwd: tmp });
    expect(await main(['detect', 'learn', train, '--baseline', baseline], learn)).toBe(0);
    expect(learn.err()).toContain('learned 60 events; baseline of 1 identities');
    const odd = write(
      'odd.jsonl',
      `${JSON.stringify(event('list', 'secrets', { user: { username: 'system:serviceaccount:ci:bot' }, sourceIPs: ['10.0.0.9'], objectRef: { resource: 'secrets', namespace: 'payments' } }))}\n`,
    );
    const run = memoryIO({ cwd: tmp });
    await main(['detect', 'run', odd, '--baseline', baseline, '-o', 'json', '--fail-on', 'none', '-q'], run);
    const alert = run
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: string; message: string })
      .find((a) => a.rule === 'anomalous-behaviour');
    expect(alert?.message).toMatch(
      /^ServiceAccount ci\/bot: first time it listed secrets in payments \(0 of 60 of its events/,
    );
    const again = memoryIO({ cwd: tmp });
    await main(
      ['detect', 'run', odd, '--baseline', baseline, '-o', 'json', '--fail-on', 'none', '-q'],
      again,
    );
    expect(again.out()).not.toContain('anomalous-behaviour');
    expect(
      await main(
        ['detect', 'run', odd, '--baseline', path.join(tmp, 'missing.json')],
        memoryIO({ cwd: tmp }),
      ),
    ).toBe(2);
  });
});

describe('the worked example of docs/detect.md', () => {
  it('raises the three alerts the page shows', async () => {
    const repo = path.resolve(import.meta.dirname, '../../..');
    const io = memoryIO({ cwd: repo });
    const code = await main(
      ['detect', 'run', 'examples/detect/audit.jsonl', '--feed', 'examples/detect/feed.txt', '-q'],
      io,
    );
    expect(code).toBe(1);
    const doc = readFileSync(path.join(repo, 'docs/detect.md'), 'utf8');
    for (const line of io.out().trim().split('\n')) expect(doc).toContain(line);
    expect(io.out().trim().split('\n')).toHaveLength(3);
    expect(io.out()).not.toContain('bm90LWEtcmVhbC1rZXk=');
  });
});

describe('palisade detect test', () => {
  it('runs every built-in rule test', async () => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(['detect', 'test'], io)).toBe(0);
    expect(io.out()).toMatch(/^\d+ passed, 0 failed/m);
  });

  it('runs the tests of a user rule file, and fails a wrong expectation', async () => {
    const rules = write(
      'rules/mine.yaml',
      `- id: payments-secret-read
  title: Secret read in payments
  severity: high
  mitre: [T1552.007]
  match: { verbs: [get], resources: [secrets] }
  condition: "target.namespace == 'payments'"
  message: "{{actor.user}} read {{target.name}}"
  tests:
    - name: read in payments
      expect: true
      event: { kind: Event, apiVersion: audit.k8s.io/v1, verb: get, user: { username: bob }, objectRef: { resource: secrets, namespace: payments, name: db } }
    - name: wrong on purpose
      expect: true
      event: { kind: Event, apiVersion: audit.k8s.io/v1, verb: get, user: { username: bob }, objectRef: { resource: secrets, namespace: shop, name: db } }
`,
    );
    const io = memoryIO({ cwd: tmp });
    expect(await main(['detect', 'test', rules, '--no-builtin'], io)).toBe(1);
    expect(io.out()).toContain('FAIL payments-secret-read: wrong on purpose (expected true, got false)');
    expect(io.out()).toContain('1 passed, 1 failed');
  });

  it('locates a rule that does not compile (exit 2)', async () => {
    const rules = write(
      'bad/r.yaml',
      `- id: broken\n  title: t\n  severity: high\n  mitre: [T1609]\n  condition: "target.namespace =="\n  message: m\n`,
    );
    const io = memoryIO({ cwd: tmp });
    expect(await main(['detect', 'test', rules, '--no-builtin'], io)).toBe(2);
    expect(io.err()).toMatch(/bad\/r\.yaml: rule broken: condition: /);
  });
});

describe('detect run --db', () => {
  it('records the alerts in the history store, where the dashboard reads them', async () => {
    const db = path.join(tmp, 'alerts.db');
    const example = path.resolve(import.meta.dirname, '../../../examples/detect');
    const io = memoryIO({ cwd: example });
    const code = await main(
      ['detect', 'run', 'audit.jsonl', '--feed', 'feed.txt', '--db', db, '-q', '-o', 'json'],
      io,
    );
    expect(code).toBe(1);
    const printed = io
      .out()
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { rule: string }).rule);
    const { openStore } = await import('../../store/index.js');
    const store = await openStore({ kind: 'sqlite', file: db });
    try {
      const rows = await store.listAlerts(0);
      expect(rows.map((r) => r.rule).sort()).toEqual([...printed].sort());
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
