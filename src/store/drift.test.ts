import { describe, expect, it } from 'vitest';
import type { Severity } from '../core/index.js';
import { compareImages, computeDrift, driftFailsOn, type DriftFinding, type DriftSide } from './drift.js';
import type { WorkloadImageRow } from './types.js';

const f = (fp: string, severity: Severity = 'high', suppressed = false): DriftFinding => ({
  fingerprint: fp,
  controlId: `PAL-${fp}`,
  severity,
  namespace: 'shop',
  kind: 'Deployment',
  name: fp,
  fieldPath: '',
  title: 't',
  suppressed,
});
const side = (label: string, findings: DriftFinding[], extra: Partial<DriftSide> = {}): DriftSide => ({
  label,
  findings,
  ...extra,
});
const grant = (subject: string, rule: string) => ({
  subject,
  namespace: 'shop',
  rule,
  via: 'RoleBinding/shop/b → Role/shop/r',
});

describe('computeDrift', () => {
  it.each([
    { name: 'nothing changed', base: [f('a')], head: [f('a')], opened: [], closed: [], unchanged: 1 },
    {
      name: 'one opened, one closed',
      base: [f('a'), f('b')],
      head: [f('b'), f('c')],
      opened: ['c'],
      closed: ['a'],
      unchanged: 1,
    },
    {
      name: 'a newly suppressed finding is closed',
      base: [f('a')],
      head: [f('a', 'high', true)],
      opened: [],
      closed: ['a'],
      unchanged: 0,
    },
    {
      name: 'an unsuppressed finding opens',
      base: [f('a', 'high', true)],
      head: [f('a')],
      opened: ['a'],
      closed: [],
      unchanged: 0,
    },
    {
      name: 'opened sorted by severity',
      base: [],
      head: [f('z', 'low'), f('y', 'critical')],
      opened: ['y', 'z'],
      closed: [],
      unchanged: 0,
    },
  ])('$name', ({ base, head, opened, closed, unchanged }) => {
    const d = computeDrift(side('A', base), side('B', head));
    expect(d.findings.opened.map((x) => x.fingerprint)).toEqual(opened);
    expect(d.findings.closed.map((x) => x.fingerprint)).toEqual(closed);
    expect(d.findings.unchanged).toBe(unchanged);
  });

  it('groups RBAC rights gained and lost per subject', () => {
    const d = computeDrift(
      side('A', [], { rbacGrants: [grant('SA:shop:ci', 'get pods'), grant('SA:shop:old', 'list pods')] }),
      side('B', [], { rbacGrants: [grant('SA:shop:ci', 'get pods'), grant('SA:shop:ci', 'get secrets')] }),
    );
    expect(d.rbac).toEqual([
      {
        subject: 'SA:shop:ci',
        gained: [{ namespace: 'shop', rule: 'get secrets', via: 'RoleBinding/shop/b → Role/shop/r' }],
        lost: [],
      },
      {
        subject: 'SA:shop:old',
        gained: [],
        lost: [{ namespace: 'shop', rule: 'list pods', via: 'RoleBinding/shop/b → Role/shop/r' }],
      },
    ]);
  });

  it('compares reachability only when both sides have it, and says so otherwise', () => {
    const r = (src: string) => ({ src, dst: 'shop/db', conn: 'TCP 5432' });
    const both = computeDrift(
      side('A', [], { reachability: [r('a')] }),
      side('B', [], { reachability: [r('b')] }),
    );
    expect(both.reachability).toEqual({ added: [r('b')], removed: [r('a')] });
    const one = computeDrift(side('A', [], { reachability: [r('a')] }), side('B', []));
    expect(one.reachability).toBeUndefined();
    expect(one.notes.join('\n')).toMatch(/reachability not compared: B/);
    expect(one.rbac).toBeUndefined();
  });

  it.each([
    ['critical', false],
    ['high', true],
    ['low', true],
  ] as const)('--fail-on-new %s with a new high finding fails: %s', (threshold, fails) => {
    expect(driftFailsOn(computeDrift(side('A', []), side('B', [f('a', 'high')])), threshold)).toBe(fails);
  });
});

const img = (name: string, container: string, image: string, digest?: string): WorkloadImageRow => ({
  kind: 'Deployment',
  namespace: 'shop',
  name,
  container,
  image,
  ...(digest !== undefined ? { digest } : {}),
});

describe('compareImages', () => {
  it.each([
    {
      label: 'nothing changed',
      base: [img('a', 'c', 'x:1')],
      head: [img('a', 'c', 'x:1')],
      want: [[], [], []],
    },
    {
      label: 'a new tag',
      base: [img('a', 'c', 'x:1')],
      head: [img('a', 'c', 'x:2')],
      want: [['a/c x:1 → x:2'], [], []],
    },
    {
      label: 'the same tag, another digest (a re-pushed tag)',
      base: [img('a', 'c', 'x:1', 'sha256:1')],
      head: [img('a', 'c', 'x:1', 'sha256:2')],
      want: [['a/c x:1 → x:1'], [], []],
    },
    {
      label: 'a digest learned alone is no change',
      base: [img('a', 'c', 'x:1')],
      head: [img('a', 'c', 'x:1', 'sha256:2')],
      want: [[], [], []],
    },
    {
      label: 'a container added and a workload removed',
      base: [img('a', 'c', 'x:1'), img('b', 'c', 'y:1')],
      head: [img('a', 'c', 'x:1'), img('a', 'sidecar', 'z:1')],
      want: [[], ['a/sidecar'], ['b/c']],
    },
  ])('$label', ({ base, head, want }) => {
    const d = compareImages(base, head);
    expect([
      d.changed.map((c) => `${c.name}/${c.container} ${c.from.image} → ${c.to.image}`),
      d.added.map((r) => `${r.name}/${r.container}`),
      d.removed.map((r) => `${r.name}/${r.container}`),
    ]).toEqual(want);
  });

  it('computeDrift compares images only when both sides listed them, and says so otherwise', () => {
    const both = computeDrift(
      side('b', [], { images: [img('a', 'c', 'x:1')] }),
      side('h', [], { images: [] }),
    );
    expect(both.images?.removed).toHaveLength(1);
    const one = computeDrift(side('b', []), side('h', [], { images: [] }));
    expect(one.images).toBeUndefined();
    expect(one.notes.join('\n')).toMatch(/images not compared: b has no recorded workload images/);
  });
});
