/**
 * pss/hostPathVolumes (baseline, v1.0+) — hostPath volumes must be forbidden.
 *
 * Restricted fields: `spec.volumes[*].hostPath`. Allowed values: undefined or null.
 * Denial: `hostPath volumes (volume "data")`. Replaced in restricted by restrictedVolumes.
 */
import {
  deny,
  isNil,
  isObject,
  joinQuote,
  list,
  pluralize,
  str,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const hostPathVolumes1Dot0: PssCheckFn = (pod) => {
  const names: string[] = [];
  const paths: string[] = [];
  list(pod.spec.volumes).forEach((v, i) => {
    if (isObject(v) && !isNil(v.hostPath)) {
      names.push(str(v.name));
      paths.push(pod.specPath('volumes', i, 'hostPath'));
    }
  });
  if (names.length === 0) return undefined;
  return deny(
    'hostPath volumes',
    `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}`,
    paths,
  );
};

export const hostPathVolumes: PssCheck = {
  id: 'hostPathVolumes',
  level: 'baseline',
  title: 'Pods must not mount hostPath volumes',
  severity: 'high',
  rationale:
    "A hostPath volume exposes the node's file system to the container: credentials, the container runtime socket and kubelet files are a path away.",
  remediation: 'Replace hostPath volumes with emptyDir, configMap, secret, or a PersistentVolumeClaim.',
  refs: [
    { id: 'cis-1.10', control: '5.2.12' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: host file system' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [{ minVersion: 0, check: hostPathVolumes1Dot0, change: 'no hostPath volumes' }],
};
