import { describe, expect, it } from 'vitest';
import { Inventory } from '../../core/index.js';
import { parseManifests } from '../../load/index.js';
import { evaluateControls } from '../engine.js';
import { runControl } from '../testing.js';
import { deprecatedApi } from './deprecated-api.js';
import { versionEol } from './version-eol.js';
import { KUBERNETES_EOL, minorOf } from './versions.js';

const cronJob = (apiVersion: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: ${apiVersion}\nkind: CronJob\nmetadata: {name: j, namespace: ops}\nspec: {}\n`;

describe('cluster/version-eol', () => {
  it.each([
    ['v1.27.3 after its end of life', { kubernetesVersion: 'v1.27.3', scanDate: '2026-12-01' }, {}, 1],
    ['v1.16 older than the table', { kubernetesVersion: '1.16', scanDate: '2020-01-01' }, {}, 1],
    ['from the setting on a manifest scan', { scanDate: '2026-12-01' }, { kubernetesVersion: 'v1.30.1' }, 1],
    ['v1.27 on its last day of support', { kubernetesVersion: 'v1.27.3', scanDate: '2024-06-28' }, {}, 0],
    ['v1.35 supported', { kubernetesVersion: 'v1.35.0', scanDate: '2026-12-01' }, {}, 0],
    [
      'a version the table does not know yet',
      { kubernetesVersion: 'v1.99.0', scanDate: '2026-12-01' },
      {},
      0,
    ],
  ])('%s', (_name, facts, settings, count) => {
    const hits = runControl(versionEol, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n', {
      facts,
      settings,
    });
    expect(hits).toEqual(
      Array.from({ length: count }, () => ({ path: 'kubernetesVersion', line: undefined })),
    );
  });

  // Issue #20: a manifest scan without a version passed silently.
  it.each([
    ['no version known', {}, 'no Kubernetes version known'],
    ['an unreadable version', { kubernetesVersion: 'latest' }, '"latest" is not a Kubernetes version'],
  ])('%s: an info finding that it could not judge', (_name, facts, text) => {
    const inventory = new Inventory();
    for (const r of parseManifests('apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n', 't.yaml')
      .resources)
      inventory.add(r);
    inventory.facts = { ...facts, scanDate: '2026-12-01' };
    const { findings } = evaluateControls(inventory, [versionEol]);
    expect(findings.map((f) => [f.severity, f.fieldPath])).toEqual([['info', 'kubernetesVersion']]);
    expect(findings[0]?.message).toContain(text);
  });

  it('has an end-of-life date for every tracked minor', () => {
    for (const [minor, date] of Object.entries(KUBERNETES_EOL)) {
      expect(minor).toMatch(/^1\.\d+$/);
      expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(minorOf('v1.29.3-eks-123')).toBe(29);
    expect(minorOf('garbage')).toBeUndefined();
  });
});

describe('cluster/deprecated-api', () => {
  it.each([
    ['batch/v1beta1 CronJob, no target version', 'batch/v1beta1', {}, [{ path: 'apiVersion', line: 5 }]],
    [
      'batch/v1beta1 CronJob removed at target 1.25',
      'batch/v1beta1',
      { kubernetesVersion: 'v1.25.0' },
      [{ path: 'apiVersion', line: 5 }],
    ],
    [
      'batch/v1beta1 CronJob on 1.20 (not yet deprecated)',
      'batch/v1beta1',
      { kubernetesVersion: 'v1.20.0' },
      [],
    ],
    ['batch/v1 CronJob', 'batch/v1', {}, []],
  ])('%s', (_name, apiVersion, settings, expected) => {
    expect(runControl(deprecatedApi, cronJob(apiVersion), { settings })).toEqual(expected);
  });

  it.each([
    ['v1.22', 'low'],
    ['v1.25', 'high'],
    [undefined, 'high'],
  ])('target %s: batch/v1beta1 CronJob is %s', (version, severity) => {
    const inventory = new Inventory();
    for (const r of parseManifests(cronJob('batch/v1beta1'), 't.yaml').resources) inventory.add(r);
    const settings = version === undefined ? {} : { kubernetesVersion: version };
    const { findings } = evaluateControls(inventory, [deprecatedApi], {
      settings: { [deprecatedApi.id]: settings },
    });
    expect(findings.map((f) => f.severity)).toEqual([severity]);
  });
});
