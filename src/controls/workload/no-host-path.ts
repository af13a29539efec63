/**
 * workload/no-host-path — pods must not mount hostPath volumes.
 *
 * Fails for each volume with a `hostPath` source, naming the host path; a read-write mount
 * of `/`, `/var/run/docker.sock`, `/proc`, `/etc` or the kubelet's directory is critical.
 */
import { trimEndChars, type Control, type Violation } from '../../core/index.js';
import { cis, isRecord, mitre, nsa, text } from '../support.js';

const CRITICAL_PATHS = [
  '/',
  '/etc',
  '/proc',
  '/var/lib/kubelet',
  '/var/run/docker.sock',
  '/run/containerd',
  '/var/run/crio',
];

export const noHostPath: Control = {
  id: 'workload/no-host-path',
  title: 'Pods must not mount host paths',
  severity: 'high',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    "A hostPath volume exposes the node's filesystem: credentials, the container runtime socket, other pods' data.",
  remediation: 'Use persistentVolumeClaim, configMap, secret or emptyDir volumes instead of hostPath.',
  frameworks: [cis('5.2.12'), nsa('Pod security: hardening container environments'), mitre('T1611')],
  check({ pod }) {
    if (!pod) return [];
    const out: Violation[] = [];
    (pod.spec.volumes ?? []).forEach((v, i) => {
      if (!isRecord(v) || !isRecord(v.hostPath)) return;
      const p = typeof v.hostPath.path === 'string' ? v.hostPath.path : '';
      const trimmed = p.length > 1 ? trimEndChars(p, '/') : p;
      out.push({
        message: `volume "${v.name !== undefined ? text(v.name) : `#${i}`}" mounts host path ${p}`,
        path: `${pod.specPath}.volumes[${i}].hostPath`,
        ...(CRITICAL_PATHS.includes(trimmed) ? { severity: 'critical' as const } : {}),
      });
    });
    return out;
  },
};
