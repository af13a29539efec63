/**
 * Alert formats for SIEMs, pure: JSON lines, Elastic Common Schema, ArcSight CEF, syslog
 * RFC 5424 framing, a Slack-compatible webhook body and Prometheus counters. Alerts carry no
 * secret material (normalisers redact it before rules see an event), and every text format
 * escapes what its receiver would read as structure or control characters.
 */
import type { Alert } from './detector.js';
import { SEVERITIES, type Severity } from './rule.js';

/** Alert output formats. */
export const ALERT_FORMATS = ['json', 'table', 'ecs', 'cef', 'syslog', 'slack'] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

/** Control characters (C0, DEL, C1) and the escape that starts terminal sequences. */
function stripControls(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    out += c < 0x20 || (c >= 0x7f && c < 0xa0) ? ' ' : ch;
  }
  return out;
}

/** The alert as the JSON object `detect run -o json` prints (one per line). */
export function alertJson(a: Alert): Record<string, unknown> {
  return {
    rule: a.rule,
    title: a.title,
    severity: a.severity,
    mitre: a.mitre,
    message: a.message,
    subject: a.subject,
    target: a.target,
    time: a.time,
    count: a.count,
    evidence: a.evidence,
    source: a.source,
    provider: a.provider,
    ...(a.intel.length > 0
      ? {
          intel: a.intel.map((i) => ({
            feed: i.feed,
            type: i.type,
            indicator: i.indicator,
            field: i.field,
            confidence: i.confidence,
          })),
        }
      : {}),
  };
}

const ECS_SEVERITY: Record<Severity, number> = { info: 1, low: 21, medium: 47, high: 73, critical: 99 };

/** The alert as an Elastic Common Schema document. */
export function alertEcs(a: Alert): Record<string, unknown> {
  return {
    '@timestamp': a.time || new Date(0).toISOString(),
    message: a.message,
    event: {
      kind: 'alert',
      category:
        a.source === 'flow' ? ['network'] : a.source === 'runtime' ? ['process'] : ['iam', 'configuration'],
      severity: ECS_SEVERITY[a.severity],
      provider: a.provider,
      module: 'palisade',
      dataset: `palisade.${a.source}`,
    },
    rule: { id: a.rule, name: a.title, ruleset: 'palisade' },
    threat: {
      framework: 'MITRE ATT&CK',
      technique: a.mitre.map((id) => ({
        id,
        reference: `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`,
      })),
      ...(a.intel.length > 0
        ? {
            indicator: a.intel.map((i) => ({
              type: i.type,
              description: i.indicator,
              provider: i.feed,
              confidence: String(i.confidence),
            })),
          }
        : {}),
    },
    user: { name: a.subject },
    palisade: { target: a.target, count: a.count, evidence: a.evidence, severity: a.severity },
  };
}

function cefHeader(s: string): string {
  return stripControls(s).replace(/[\\|]/g, (c) => `\\${c}`);
}
function cefValue(s: string): string {
  return stripControls(s).replace(/[\\=]/g, (c) => `\\${c}`);
}

const CEF_SEVERITY: Record<Severity, number> = { info: 1, low: 3, medium: 5, high: 8, critical: 10 };

/** The alert as one ArcSight CEF line. */
export function alertCef(a: Alert, version: string): string {
  const ext: [string, string][] = [
    ['rt', a.time === '' ? '' : String(Date.parse(a.time) || '')],
    ['suser', a.subject],
    ['msg', a.message],
    ['cs1Label', 'mitre'],
    ['cs1', a.mitre.join(',')],
    ['cs2Label', 'target'],
    ['cs2', a.target],
    ['cnt', String(a.count)],
    ['externalId', a.evidence[0] ?? ''],
  ];
  return `CEF:0|Palisade|Palisade|${cefHeader(version)}|${cefHeader(a.rule)}|${cefHeader(a.title)}|${CEF_SEVERITY[a.severity]}|${ext
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${cefValue(v)}`)
    .join(' ')}`;
}

const SYSLOG_SEVERITY: Record<Severity, number> = { info: 6, low: 5, medium: 4, high: 3, critical: 2 };

function sdValue(s: string): string {
  return stripControls(s).replace(/["\\\]]/g, (c) => `\\${c}`);
}

/**
 * The alert as an RFC 5424 syslog message (facility local0 unless given), structured data
 * `palisade@32473`, the message as the CEF-free text.
 */
export function alertSyslog(a: Alert, host: string, facility = 16): string {
  const pri = facility * 8 + SYSLOG_SEVERITY[a.severity];
  const ts = a.time === '' ? '-' : a.time;
  const sd = `[palisade@32473 rule="${sdValue(a.rule)}" severity="${a.severity}" mitre="${sdValue(a.mitre.join(','))}" subject="${sdValue(a.subject)}" target="${sdValue(a.target)}" count="${a.count}"]`;
  const h = host === '' ? '-' : stripControls(host).replace(/\s/g, '') || '-';
  return `<${pri}>1 ${ts} ${h} palisade - ${sdValue(a.rule).slice(0, 32) || '-'} ${sd} ${stripControls(a.message)}`;
}

/** A Slack-compatible incoming-webhook body. */
export function alertSlack(a: Alert): Record<string, unknown> {
  return {
    text: `[${a.severity.toUpperCase()}] ${stripControls(a.title)}: ${stripControls(a.message)}`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*${stripControls(a.title)}* (${a.severity}, ${a.mitre.join(', ')})\n${stripControls(a.message)}`,
        },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `rule \`${a.rule}\` · subject ${stripControls(a.subject)} · ${a.count} event(s)`,
          },
        ],
      },
    ],
  };
}

/** One aligned table row of an alert (for terminals). */
export function alertTableRow(a: Alert): string {
  return `${a.severity.toUpperCase().padEnd(8)} ${stripControls(a.rule).padEnd(36)} ${stripControls(a.message)}`;
}

/** Prometheus text exposition of alert counters by rule and severity. */
export function alertMetrics(
  counts: ReadonlyMap<string, { severity: Severity; count: number }>,
  events: number,
): string {
  const lines = [
    '# HELP palisade_detect_events_total Events judged by the detector.',
    '# TYPE palisade_detect_events_total counter',
    `palisade_detect_events_total ${events}`,
    '# HELP palisade_detect_alerts_total Alerts raised, by rule and severity.',
    '# TYPE palisade_detect_alerts_total counter',
  ];
  for (const [rule, { severity, count }] of [...counts].sort((x, y) => x[0].localeCompare(y[0])))
    lines.push(
      `palisade_detect_alerts_total{rule="${rule.replace(/["\\\n]/g, '_')}",severity="${severity}"} ${count}`,
    );
  return `${lines.join('\n')}\n`;
}

/** Whether `s` is at least as severe as `threshold` (`none` never is). */
export function atLeast(s: Severity, threshold: Severity | 'none'): boolean {
  return threshold !== 'none' && SEVERITIES.indexOf(s) >= SEVERITIES.indexOf(threshold);
}
