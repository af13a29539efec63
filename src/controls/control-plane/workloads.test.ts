import { describe, expect, it } from 'vitest';
import type { Resource } from '../../core/index.js';
import {
  componentWorkloadFindings,
  evaluateComponentWorkloads,
  type ComponentWorkload,
} from './workloads.js';

const pod: Resource = {
  object: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'kube-apiserver-cp1', namespace: 'kube-system' },
  },
  ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'kube-system', name: 'kube-apiserver-cp1' },
  source: { file: 'cp/kube-apiserver.yaml', docIndex: 0, locate: (p) => ({ line: p.length, column: 3 }) },
};

function apiserver(args: string[], resource: Resource = pod): ComponentWorkload {
  return {
    resource,
    component: 'apiserver',
    facts: { source: 'cp/kube-apiserver.yaml', args },
    argPaths: args.map((_a, i) => `spec.containers[0].command[${i + 1}]`),
    commandPath: 'spec.containers[0].command',
  };
}

function finding(args: string[], id: string, resource?: Resource) {
  const found = componentWorkloadFindings(evaluateComponentWorkloads([apiserver(args, resource)]));
  return found.find((f) => f.controlId === `control-plane/${id}`);
}

describe('CIS checks on component workloads', () => {
  it.each<[string, string[], string, string | undefined]>([
    ['a failing flag points at itself', ['--profiling=true'], '1.2.15', 'spec.containers[0].command[1]'],
    [
      'the last occurrence of a flag counts',
      ['--profiling=false', '--x', '--profiling=true'],
      '1.2.15',
      'spec.containers[0].command[3]',
    ],
    ['a missing flag points at the command line', [], '1.2.16', 'spec.containers[0].command'],
    ['a passing flag is no finding', ['--profiling=false'], '1.2.15', undefined],
    // 1.2.1 (anonymous auth) is a manual check: a warning in the node report, not a finding.
    ['a manual check is no finding', ['--anonymous-auth=true'], '1.2.1', undefined],
  ])('%s', (_n, args, id, path) => {
    expect(finding(args, id)?.fieldPath).toBe(path);
  });

  it('findings carry the benchmark reference, severity and the object position', () => {
    expect(finding(['--profiling=true'], '1.2.15')).toMatchObject({
      title: 'Ensure that the --profiling argument is set to false (Automated)',
      severity: 'high',
      message: expect.stringContaining('found --profiling=true') as unknown,
      resource: { kind: 'Pod', namespace: 'kube-system', name: 'kube-apiserver-cp1' },
      location: { file: 'cp/kube-apiserver.yaml', line: 'spec.containers[0].command[1]'.length, column: 3 },
      frameworks: [{ id: 'cis-1.10', control: '1.2.15' }],
    });
  });

  it('an object from the live API has no location', () => {
    const { source: _s, ...live } = pod;
    expect(finding(['--profiling=true'], '1.2.15', live)?.location).toBeUndefined();
  });

  it('only the flag checks of the workload component run', () => {
    const [r] = evaluateComponentWorkloads([apiserver([])]);
    expect(r?.results.length).toBeGreaterThan(20);
    expect(r?.results.every((x) => x.section === 'master' || x.section === 'controlplane')).toBe(true);
  });
});
