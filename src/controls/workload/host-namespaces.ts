/**
 * Host namespace controls: sharing the node's PID or IPC namespace.
 *
 * - workload/no-host-pid fails when `hostPID: true`: the pod sees and can signal every
 *   process on the node.
 * - workload/no-host-ipc fails when `hostIPC: true`: the pod shares the node's System V IPC
 *   and POSIX shared memory.
 * Host networking is network/no-host-network.
 */
import type { Control } from '../../core/index.js';
import { cis, mitre, nsa } from '../support.js';

export const noHostPid: Control = {
  id: 'workload/no-host-pid',
  title: "Pods must not share the host's PID namespace",
  severity: 'high',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    'With hostPID a container sees every process of the node, can read their environment and, as root, ptrace them.',
  remediation: 'Remove hostPID or set it to false.',
  frameworks: [cis('5.2.3'), nsa('Pod security: hardening container environments'), mitre('T1611')],
  check({ pod }) {
    if (pod?.spec.hostPID !== true) return [];
    return [{ message: "pod shares the host's PID namespace", path: `${pod.specPath}.hostPID` }];
  },
};

export const noHostIpc: Control = {
  id: 'workload/no-host-ipc',
  title: "Pods must not share the host's IPC namespace",
  severity: 'high',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale: 'With hostIPC a container can read and write the shared memory of every process on the node.',
  remediation: 'Remove hostIPC or set it to false.',
  frameworks: [cis('5.2.4'), nsa('Pod security: hardening container environments'), mitre('T1611')],
  check({ pod }) {
    if (pod?.spec.hostIPC !== true) return [];
    return [{ message: "pod shares the host's IPC namespace", path: `${pod.specPath}.hostIPC` }];
  },
};
