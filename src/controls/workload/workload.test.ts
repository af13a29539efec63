import { describe, expect, it } from 'vitest';
import { Inventory } from '../../core/index.js';
import { parseManifests } from '../../load/index.js';
import { evaluateControls } from '../engine.js';
import { imageTag, imageTagOf } from './image-tag.js';
import { noPrivileged } from './no-privileged.js';
import { resourceLimits } from './resource-limits.js';
import type { Control } from '../../core/index.js';

function run(control: Control, yaml: string) {
  const inventory = new Inventory();
  const parsed = parseManifests(yaml, 'w.yaml');
  expect(parsed.issues).toEqual([]);
  for (const r of parsed.resources) inventory.add(r);
  const { findings, errors } = evaluateControls(inventory, [control]);
  expect(errors).toEqual([]);
  return findings.map((f) => ({ path: f.fieldPath, line: f.location?.line }));
}

const deployment = (container: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: app
${container
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
`;

const cronJob = (container: string): string => `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ops}
spec:
  schedule: "0 0 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
          - name: init
            image: busybox:1.36
            resources: {limits: {cpu: 100m, memory: 64Mi}}
${container}
`;

type Case = [name: string, yaml: string, expected: { path: string; line: number }[]];
const suites: { control: Control; cases: Case[] }[] = [
  {
    control: noPrivileged,
    cases: [
      [
        'privileged deployment',
        deployment('image: x:1\nsecurityContext:\n  privileged: true'),
        [{ path: 'spec.template.spec.containers[0].securityContext.privileged', line: 11 }],
      ],
      ['unprivileged deployment', deployment('image: x:1\nsecurityContext:\n  privileged: false'), []],
      ['no security context', deployment('image: x:1'), []],
      [
        'privileged cronjob init container',
        cronJob('          containers: []').replace(
          'resources:',
          'securityContext: {privileged: true}\n            resources:',
        ),
        [
          {
            path: 'spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.privileged',
            line: 13,
          },
        ],
      ],
    ],
  },
  {
    control: imageTag,
    cases: [
      [
        'latest tag',
        deployment('image: nginx:latest'),
        [{ path: 'spec.template.spec.containers[0].image', line: 9 }],
      ],
      [
        'no tag',
        deployment('image: registry.local:5000/nginx'),
        [{ path: 'spec.template.spec.containers[0].image', line: 9 }],
      ],
      ['version tag', deployment('image: nginx:1.25'), []],
      ['digest with latest', deployment(`image: nginx:latest@sha256:${'a'.repeat(64)}`), []],
    ],
  },
  {
    control: resourceLimits,
    cases: [
      ['no resources', deployment('image: x:1'), [{ path: 'spec.template.spec.containers[0]', line: 8 }]],
      [
        'memory only',
        deployment('image: x:1\nresources:\n  limits: {memory: 1Gi}'),
        [{ path: 'spec.template.spec.containers[0].resources.limits', line: 11 }],
      ],
      ['both limits', deployment('image: x:1\nresources:\n  limits: {memory: 1Gi, cpu: "1"}'), []],
      [
        'cronjob with limits',
        cronJob(
          '          containers:\n          - name: c\n            image: x:1\n            resources: {limits: {cpu: 1, memory: 1Gi}}',
        ),
        [],
      ],
    ],
  },
];

describe.each(suites)('$control.id', ({ control, cases }) => {
  it.each(cases)('%s', (_name, yaml, expected) => {
    expect(run(control, yaml)).toEqual(expected);
  });
});

describe('imageTagOf', () => {
  it.each([
    ['nginx', {}],
    ['nginx:1.25', { tag: '1.25' }],
    ['registry.local:5000/team/app', {}],
    ['registry.local:5000/team/app:v2', { tag: 'v2' }],
    ['app@sha256:abc', { digest: 'sha256:abc' }],
    ['app:1@sha256:abc', { tag: '1', digest: 'sha256:abc' }],
  ])('%s', (image, expected) => {
    expect(imageTagOf(image)).toEqual(expected);
  });
});

describe('evaluateControls', () => {
  it('reports a throwing control as an evaluation error, not a pass', () => {
    const broken: Control = {
      ...noPrivileged,
      id: 'test/broken',
      check: () => {
        throw new Error('boom');
      },
    };
    const inventory = new Inventory();
    for (const r of parseManifests(deployment('image: x:1'), 'w.yaml').resources) inventory.add(r);
    const { findings, errors } = evaluateControls(inventory, [broken]);
    expect(findings).toEqual([]);
    expect(errors).toMatchObject([{ controlId: 'test/broken', message: 'boom' }]);
  });
});
