import { describe, expect, it } from 'vitest';
import { AnomalyModel, parseBaseline, thousands, utcHour } from './anomaly.js';
import { createDetector } from './detector.js';
import { normalizeRecord } from './normalize-runtime.js';
import type { DetectEvent } from './event.js';

/** mulberry32: a seeded PRNG so the labelled trace is the same every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ev(
  user: string,
  verb: string,
  resource: string,
  ns: string,
  ip: string,
  agent: string,
  time: Date,
  sub = '',
): DetectEvent {
  const n = normalizeRecord(
    {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      verb,
      user: { username: user },
      sourceIPs: [ip],
      userAgent: agent,
      stageTimestamp: time.toISOString(),
      objectRef: { resource, namespace: ns, ...(sub ? { subresource: sub } : {}) },
      responseStatus: { code: 200 },
    },
    'x',
  );
  if (!n.ok || !n.value) throw new Error('bad test event');
  return n.value;
}

interface Actor {
  user: string;
  ops: [string, string, string][];
  ips: string[];
  agent: string;
  hours: [number, number];
}

/** A population: ServiceAccounts that do a few things in their own namespace all day, people that work 08–18 UTC. */
function population(): Actor[] {
  const actors: Actor[] = [];
  for (let i = 0; i < 20; i++) {
    const ns = `app-${i}`;
    actors.push({
      user: `system:serviceaccount:${ns}:svc`,
      ops: [
        ['get', 'configmaps', ns],
        ['list', 'pods', ns],
        ['watch', 'endpoints', ns],
        ...(i % 2 === 0 ? ([['get', 'secrets', ns]] as [string, string, string][]) : []),
      ],
      ips: [`10.0.${i}.4`, `10.0.${i}.5`],
      agent: `svc-${i}/1.0`,
      hours: [0, 24],
    });
  }
  for (let j = 0; j < 10; j++) {
    const nss = [`app-${j}`, `app-${j + 1}`, `app-${(j * 3) % 20}`];
    actors.push({
      user: `dev-${j}@example.com`,
      ops: nss.flatMap(
        (ns) =>
          [
            ['get', 'pods', ns],
            ['list', 'pods', ns],
            ['list', 'deployments', ns],
            ['get', 'pods/log', ns],
          ] as [string, string, string][],
      ),
      ips: [`10.8.${j}.1`, `10.8.${j}.2`],
      agent: 'kubectl/v1.34.0',
      hours: [8, 18],
    });
  }
  return actors;
}

function normalEvent(a: Actor, rnd: () => number, day: Date): DetectEvent {
  const [verb, res, ns] = a.ops[Math.floor(rnd() * a.ops.length)] ?? ['get', 'pods', 'x'];
  const [resource, sub] = res.split('/');
  const hour = a.hours[0] + Math.floor(rnd() * (a.hours[1] - a.hours[0]));
  const t = new Date(day.getTime() + hour * 3_600_000 + Math.floor(rnd() * 3_600_000));
  return ev(
    a.user,
    verb,
    resource ?? res,
    ns,
    a.ips[Math.floor(rnd() * a.ips.length)] ?? '',
    a.agent,
    t,
    sub ?? '',
  );
}

describe('learned anomalies on a labelled trace', () => {
  it('finds the injected anomalies with precision and recall of at least 0.9 (printed)', () => {
    const rnd = prng(7);
    const actors = population();
    const model = new AnomalyModel(undefined, { minEvents: 50, threshold: 3 });
    const start = Date.parse('2026-11-01T00:00:00Z');
    for (let d = 0; d < 14; d++)
      for (const a of actors)
        for (let k = 0; k < 40; k++) model.learn(normalEvent(a, rnd, new Date(start + d * 86_400_000)));

    const test: { event: DetectEvent; anomalous: boolean; kind: string }[] = [];
    const day = new Date(start + 14 * 86_400_000);
    for (let k = 0; k < 3000; k++)
      test.push({
        event: normalEvent(actors[Math.floor(rnd() * actors.length)] as Actor, rnd, day),
        anomalous: false,
        kind: 'normal',
      });
    for (let i = 0; i < 20; i++) {
      const sa = actors[i] as Actor;
      const at = new Date(day.getTime() + 10 * 3_600_000);
      test.push({
        event: ev(sa.user, 'list', 'secrets', `app-${(i + 7) % 20}`, sa.ips[0] ?? '', sa.agent, at),
        anomalous: true,
        kind: 'secrets of another namespace',
      });
      test.push({
        event: ev(sa.user, 'create', 'clusterrolebindings', '', sa.ips[0] ?? '', sa.agent, at),
        anomalous: true,
        kind: 'RBAC write',
      });
      test.push({
        event: ev(sa.user, 'get', 'configmaps', `app-${i}`, `45.33.${i}.7`, 'curl/8.5', at),
        anomalous: true,
        kind: 'stolen token used from outside',
      });
    }
    for (let j = 0; j < 10; j++) {
      const dev = actors[20 + j] as Actor;
      test.push({
        event: ev(
          dev.user,
          'create',
          'pods',
          `app-${j}`,
          `45.79.${j}.9`,
          'kubectl/v1.34.0',
          new Date(day.getTime() + 3 * 3_600_000),
          'exec',
        ),
        anomalous: true,
        kind: 'exec at 03:00 from a new public address',
      });
    }
    // Shuffle so anomalies are judged among normal traffic, each judged before it is learned.
    for (let i = test.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [test[i], test[j]] = [test[j] as (typeof test)[number], test[i] as (typeof test)[number]];
    }
    let tp = 0;
    let fp = 0;
    let fn = 0;
    const missed: string[] = [];
    for (const t of test) {
      const flagged = model.score(t.event) !== undefined;
      model.learn(t.event);
      if (flagged && t.anomalous) tp++;
      else if (flagged) fp++;
      else if (t.anomalous) {
        fn++;
        missed.push(t.kind);
      }
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    console.log(
      `anomaly model on a labelled trace: ${test.length} events, ${tp + fn} anomalous; precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} (tp ${tp}, fp ${fp}, fn ${fn}${missed.length ? `; missed: ${[...new Set(missed)].join(', ')}` : ''})`,
    );
    expect(precision).toBeGreaterThanOrEqual(0.9);
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });

  it('explains in words with the counts behind it, and raises one alert through the detector', () => {
    const model = new AnomalyModel(undefined, { minEvents: 10 });
    const t0 = Date.parse('2026-11-01T00:00:00Z');
    for (let k = 0; k < 100; k++)
      model.learn(
        ev(
          'system:serviceaccount:ci:bot',
          'get',
          'configmaps',
          'ci',
          '10.0.0.9',
          'bot/1',
          new Date(t0 + k * 3_600_000 * 3),
        ),
      );
    const odd = ev(
      'system:serviceaccount:ci:bot',
      'list',
      'secrets',
      'payments',
      '10.0.0.9',
      'bot/1',
      new Date(t0 + 400 * 3_600_000),
    );
    expect(model.score(odd)?.explanation).toBe(
      'ServiceAccount ci/bot: first time it listed secrets in payments (0 of 100 of its events in 12 days did)',
    );
    const detector = createDetector({ rules: [], anomaly: model });
    const alerts = detector.process(odd);
    expect(alerts.map((a) => [a.rule, a.severity])).toEqual([['anomalous-behaviour', 'medium']]);
    expect(detector.process(odd)).toEqual([]);
  });

  it('round-trips through its file and refuses a malformed one', () => {
    const model = new AnomalyModel();
    model.learn(ev('alice', 'get', 'pods', 'a', '10.0.0.1', 'kubectl/1', new Date('2026-11-01T10:00:00Z')));
    const back = parseBaseline(JSON.parse(JSON.stringify(model.toFile())));
    expect(back.ok && back.value.identities.alice?.ops).toEqual({ 'get pods a': 1 });
    expect(parseBaseline({ kind: 'DetectBaseline', identities: { x: { events: 1 } } })).toEqual({
      ok: false,
      error: 'identity "x": malformed baseline',
    });
  });
});

describe('changed identities (what the history store rewrites)', () => {
  it('lists the identities learned from since the last call, never an evicted one, and only when learning', () => {
    const model = new AnomalyModel(undefined, { maxIdentities: 2 });
    const t = new Date('2026-11-01T10:00:00Z');
    expect(model.takeChanged()).toEqual([]);
    model.learn(ev('alice', 'get', 'pods', 'a', '10.0.0.1', 'kubectl/1', t));
    model.learn(ev('bob', 'get', 'pods', 'a', '10.0.0.1', 'kubectl/1', t));
    model.learn(ev('alice', 'list', 'pods', 'a', '10.0.0.1', 'kubectl/1', t));
    const first = model.takeChanged();
    expect(first.map(([id, b]) => [id, b.events])).toEqual([
      ['alice', 2],
      ['bob', 1],
    ]);
    expect(model.takeChanged()).toEqual([]);
    // carol evicts the least recently seen identity (bob), which is not listed.
    model.learn(ev('bob', 'get', 'pods', 'a', '10.0.0.1', 'kubectl/1', t));
    model.learn(ev('alice', 'get', 'pods', 'a', '10.0.0.1', 'kubectl/1', t));
    model.learn(ev('carol', 'get', 'pods', 'a', '10.0.0.1', 'kubectl/1', t));
    expect(model.takeChanged().map(([id]) => id)).toEqual(['alice', 'carol']);
    // Scoring without learning changes nothing.
    model.observe(ev('alice', 'delete', 'pods', 'a', '10.0.0.1', 'kubectl/1', t), false);
    expect(model.takeChanged()).toEqual([]);
  });
});

describe('utcHour', () => {
  it.each([
    ['2026-12-07T09:01:00Z', 9],
    ['2026-12-07T23:59:59.123456Z', 23],
    ['2026-12-07T09:01:00+02:00', 7],
    ['2026-12-07T00:30:00-01:00', 1],
    ['', -1],
    ['yesterday', -1],
    ['2026-12-07T99:00:00Z', -1],
  ])('%s is hour %i', (time, hour) => {
    expect(utcHour(time)).toBe(hour);
  });
});

describe('thousands', () => {
  it.each([0, 7, 999, 1000, 14_210, 999_999, 1_000_000, 123_456_789, -4321])(
    '%d as toLocaleString says',
    (n) => {
      expect(thousands(n)).toBe(n.toLocaleString('en-US'));
    },
  );
});
