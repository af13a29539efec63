import { describe, expect, it } from 'vitest';
import type { Finding, Resource } from '../core/index.js';
import {
  applyExceptions,
  exceptionAnnotationKey,
  glob,
  parseExceptionList,
  type ExceptionRule,
} from './exceptions.js';

function resource(
  kind: string,
  namespace: string,
  name: string,
  meta: Record<string, unknown> = {},
): Resource {
  return {
    object: { apiVersion: 'apps/v1', kind, metadata: { name, namespace, ...meta } },
    ref: { apiVersion: 'apps/v1', kind, namespace, name },
  };
}

function finding(controlId: string, r: Resource): Finding {
  return {
    controlId,
    title: 't',
    severity: 'high',
    message: 'm',
    resource: r.ref,
    remediation: 'r',
    frameworks: [],
  };
}

const logShipper = resource('DaemonSet', 'ops', 'log-shipper', { labels: { app: 'log-shipper' } });
const web = resource('Deployment', 'shop', 'web', {
  annotations: { [exceptionAnnotationKey('workload/image-tag')]: 'vendor image, pinned upstream' },
});
const findings = [
  finding('workload/no-privileged', logShipper),
  finding('workload/image-tag', web),
  finding('workload/resource-limits', web),
];
const base = { reason: 'needs host logs', owner: 'platform' };

describe('applyExceptions', () => {
  it.each<[string, ExceptionRule, string[]]>([
    [
      'exact control and name',
      { ...base, controlId: 'workload/no-privileged', resources: { name: 'log-shipper' } },
      ['workload/no-privileged'],
    ],
    [
      'control glob and namespace',
      { ...base, controlId: 'workload/*', resources: { namespace: 'ops' } },
      ['workload/no-privileged'],
    ],
    [
      'kind and labels',
      { ...base, controlId: '*', resources: { kind: 'DaemonSet', labels: { app: 'log-shipper' } } },
      ['workload/no-privileged'],
    ],
    ['labels that do not match', { ...base, controlId: '*', resources: { labels: { app: 'other' } } }, []],
    [
      'name glob',
      { ...base, controlId: 'workload/resource-limits', resources: { name: 'w?b' } },
      ['workload/resource-limits'],
    ],
  ])('%s', (_name, rule, suppressedIds) => {
    const out = applyExceptions(findings, [logShipper, web], [rule], {
      today: '2026-11-22',
      allowAnnotations: false,
    });
    expect(out.findings.filter((f) => f.suppressed?.kind === 'exception').map((f) => f.controlId)).toEqual(
      suppressedIds,
    );
    // Suppressed findings are kept, never dropped.
    expect(out.findings).toHaveLength(findings.length);
    expect(out.unused).toEqual(suppressedIds.length === 0 ? [rule] : []);
  });

  it('stops applying an expired exception and reports it', () => {
    const rule: ExceptionRule = { ...base, controlId: 'workload/no-privileged', expires: '2026-11-21' };
    const out = applyExceptions(findings, [logShipper, web], [rule], {
      today: '2026-11-22',
      allowAnnotations: false,
    });
    expect(out.findings.some((f) => f.suppressed)).toBe(false);
    expect(out.expired).toEqual([rule]);
  });

  it('keeps applying an exception on its expiry day, with the reason and owner', () => {
    const rule: ExceptionRule = { ...base, controlId: 'workload/no-privileged', expires: '2026-11-22' };
    const out = applyExceptions(findings, [logShipper, web], [rule], {
      today: '2026-11-22',
      allowAnnotations: false,
    });
    expect(out.findings[0]?.suppressed).toEqual({
      kind: 'exception',
      reason: 'needs host logs',
      owner: 'platform',
      expires: '2026-11-22',
    });
    expect(out.expired).toEqual([]);
  });

  it('counts every matching exception as used, and takes the reason of the first', () => {
    const broad: ExceptionRule = { ...base, reason: 'broad', controlId: 'workload/*' };
    const narrow: ExceptionRule = { ...base, reason: 'narrow', controlId: 'workload/no-privileged' };
    const out = applyExceptions(findings, [logShipper, web], [broad, narrow], {
      today: '2026-11-22',
      allowAnnotations: false,
    });
    expect(out.findings[0]?.suppressed?.reason).toBe('broad');
    expect(out.unused).toEqual([]);
  });

  it.each([
    [false, undefined, 1],
    [true, { kind: 'annotation', reason: 'vendor image, pinned upstream' }, 0],
  ])(
    'annotation exceptions honoured only when allowed (allowed=%s)',
    (allowAnnotations, suppressed, ignored) => {
      const out = applyExceptions(findings, [logShipper, web], [], { today: '2026-11-22', allowAnnotations });
      expect(out.findings[1]?.suppressed).toEqual(suppressed);
      expect(out.findings[2]?.suppressed).toBeUndefined();
      expect(out.ignoredAnnotations).toHaveLength(ignored);
    },
  );
});

describe('parseExceptionList', () => {
  it('accepts a valid list', () => {
    const doc = {
      apiVersion: 'palisade.dev/v1',
      kind: 'ExceptionList',
      exceptions: [{ controlId: 'x', reason: 'r', owner: 'o', expires: '2027-01-01' }],
    };
    expect(parseExceptionList(doc)).toEqual({ rules: doc.exceptions, issues: [] });
  });
  it('reports every problem with its path', () => {
    const doc = {
      apiVersion: 'palisade.dev/v1',
      kind: 'ExceptionList',
      exceptions: [
        { controlId: 'x', reason: '', owner: 'o', expires: 'soon' },
        { controlId: 'y', reason: 'r' },
      ],
    };
    const { issues } = parseExceptionList(doc);
    expect(issues.map((i) => i.path).sort()).toEqual([
      'exceptions[0].expires',
      'exceptions[0].reason',
      'exceptions[1].owner',
    ]);
  });
});

describe('exception expiry dates', () => {
  it.each([
    ['2027-02-28', true],
    ['2027-02-30', false],
    ['2027-13-01', false],
    ['27-01-01', false],
  ])('%s valid: %s', (expires, valid) => {
    const doc = {
      apiVersion: 'palisade.dev/v1',
      kind: 'ExceptionList',
      exceptions: [{ controlId: 'x', reason: 'r', owner: 'o', expires }],
    };
    expect(parseExceptionList(doc).issues.length === 0).toBe(valid);
  });
});

describe('glob', () => {
  it.each([
    ['pss/*', 'pss/runAsNonRoot', true],
    ['pss/*', 'workload/x', false],
    ['a.b', 'aXb', false],
    ['web-?', 'web-1', true],
    ['*', '', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbYcZ', false],
    ['a**c', 'ac', true],
    ['*.io/*', 'ghcr.io/team/app:1', true],
    ['a?c', 'a\nc', false],
    ['a*c', 'a\nc', false],
    ['web-?', 'web-', false],
    ['x*', 'xy', true],
    ['*x', 'yyx', true],
    ['*x', 'yxy', false],
  ])('%s ~ %s = %s', (pattern, s, expected) => {
    expect(glob(pattern).test(s)).toBe(expected);
  });
});

describe('glob time', () => {
  it('matches a long hostile string against several stars in linear time', () => {
    const s = `${'a'.repeat(200_000)}b`;
    expect(glob('*a*a*a*a*a*c').test(s)).toBe(false);
  }, 1000);
});
