/**
 * pss/hostNamespaces (baseline, v1.0+) — sharing the host namespaces must be disallowed.
 *
 * Restricted fields: `spec.hostNetwork`, `spec.hostPID`, `spec.hostIPC`.
 * Allowed values: undefined or false.
 * Denial: `host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)`, in that order.
 */
import { deny, type PssCheck, type PssCheckFn } from './shared.js';

const FIELDS = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

const hostNamespaces1Dot0: PssCheckFn = (pod) => {
  const bad = FIELDS.filter((f) => pod.spec[f] === true);
  if (bad.length === 0) return undefined;
  return deny(
    'host namespaces',
    bad.map((f) => `${f}=true`).join(', '),
    bad.map((f) => pod.specPath(f)),
  );
};

export const hostNamespaces: PssCheck = {
  id: 'hostNamespaces',
  level: 'baseline',
  title: 'Pods must not share the host network, PID or IPC namespace',
  severity: 'high',
  rationale:
    "A pod in the host's network, process or IPC namespace can see and reach the node's other processes and interfaces, bypassing pod isolation.",
  remediation: 'Remove spec.hostNetwork, spec.hostPID and spec.hostIPC, or set them to false.',
  refs: [
    { id: 'cis-1.10', control: '5.2.3' },
    { id: 'cis-1.10', control: '5.2.4' },
    { id: 'cis-1.10', control: '5.2.5' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: host namespaces' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [{ minVersion: 0, check: hostNamespaces1Dot0, change: 'no hostNetwork, hostPID or hostIPC' }],
};
