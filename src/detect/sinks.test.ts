import { describe, expect, it } from 'vitest';
import type { Alert } from './detector.js';
import { alertCef, alertEcs, alertMetrics, alertSyslog, atLeast } from './sinks.js';

const alert: Alert = {
  rule: 'pod-exec',
  title: 'Command executed in a pod',
  severity: 'high',
  mitre: ['T1609'],
  message: 'eve ran "sh | x=1 \\ y" in pod a/b\u001b[31m',
  subject: 'eve',
  target: 'pods/exec a/b',
  time: '2026-12-07T10:00:00Z',
  evidence: ['id-1'],
  count: 2,
  intel: [],
  source: 'audit',
  provider: 'kubernetes',
};

describe('alert formats', () => {
  it('CEF escapes its separators and drops control characters', () => {
    expect(alertCef(alert, '0.1.0')).toBe(
      'CEF:0|Palisade|Palisade|0.1.0|pod-exec|Command executed in a pod|8|rt=1796637600000 suser=eve msg=eve ran "sh | x\\=1 \\\\ y" in pod a/b [31m cs1Label=mitre cs1=T1609 cs2Label=target cs2=pods/exec a/b cnt=2 externalId=id-1',
    );
  });

  it('syslog is RFC 5424 with structured data and a priority from the severity', () => {
    expect(alertSyslog(alert, 'node-1')).toBe(
      '<131>1 2026-12-07T10:00:00Z node-1 palisade - pod-exec [palisade@32473 rule="pod-exec" severity="high" mitre="T1609" subject="eve" target="pods/exec a/b" count="2"] eve ran "sh | x=1 \\ y" in pod a/b [31m',
    );
  });

  it('ECS carries the rule, the technique and the severity score', () => {
    const ecs = alertEcs(alert) as {
      event: { severity: number; kind: string };
      rule: { id: string };
      threat: { technique: { id: string }[] };
    };
    expect(ecs.event).toMatchObject({ kind: 'alert', severity: 73 });
    expect(ecs.rule.id).toBe('pod-exec');
    expect(ecs.threat.technique[0]?.id).toBe('T1609');
  });

  it('Prometheus counters by rule and severity', () => {
    const text = alertMetrics(new Map([['pod-exec', { severity: 'high', count: 3 }]]), 10);
    expect(text).toContain('palisade_detect_events_total 10');
    expect(text).toContain('palisade_detect_alerts_total{rule="pod-exec",severity="high"} 3');
  });

  it.each([
    ['high', 'high', true],
    ['medium', 'high', false],
    ['critical', 'none', false],
    ['info', 'info', true],
  ] as const)('%s at least %s: %s', (s, t, want) => {
    expect(atLeast(s, t)).toBe(want);
  });
});
