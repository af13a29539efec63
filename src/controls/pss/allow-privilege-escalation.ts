/**
 * pss/allowPrivilegeEscalation (restricted, v1.8+, changed v1.25) — privilege escalation (such
 * as through set-user-ID or set-group-ID file modes) must not be allowed.
 *
 * Restricted fields: `securityContext.allowPrivilegeEscalation` of every container.
 * Allowed value: false (unset counts as allowed escalation). From v1.25 pods with
 * `spec.os.name: windows` are exempt.
 * Denial: `allowPrivilegeEscalation != false (container "a" must set
 * securityContext.allowPrivilegeEscalation=false)`.
 */
import {
  containersPhrase,
  deny,
  isWindowsPod,
  securityContextOf,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const allowPrivilegeEscalation1Dot8: PssCheckFn = (pod) => {
  const names: string[] = [];
  const paths: string[] = [];
  for (const c of pod.containers) {
    if (securityContextOf(c.container)?.allowPrivilegeEscalation === false) continue;
    names.push(c.name);
    paths.push(pod.specPathOrParent(...c.at, 'securityContext', 'allowPrivilegeEscalation'));
  }
  if (names.length === 0) return undefined;
  return deny(
    'allowPrivilegeEscalation != false',
    `${containersPhrase(names)} must set securityContext.allowPrivilegeEscalation=false`,
    paths,
  );
};

const allowPrivilegeEscalation1Dot25: PssCheckFn = (pod) =>
  isWindowsPod(pod) ? undefined : allowPrivilegeEscalation1Dot8(pod);

export const allowPrivilegeEscalation: PssCheck = {
  id: 'allowPrivilegeEscalation',
  level: 'restricted',
  title: 'Containers must set allowPrivilegeEscalation to false',
  severity: 'medium',
  rationale:
    'Unless no_new_privs is set, a process in the container can gain more privileges than its parent through setuid binaries or file capabilities.',
  remediation: 'Set securityContext.allowPrivilegeEscalation: false on every container.',
  refs: [
    { id: 'cis-1.10', control: '5.2.6' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: non-root and unprivileged containers' },
    { id: 'mitre-attack', control: 'T1068' },
  ],
  versions: [
    { minVersion: 8, check: allowPrivilegeEscalation1Dot8, change: 'allowPrivilegeEscalation must be false' },
    { minVersion: 25, check: allowPrivilegeEscalation1Dot25, change: 'Windows pods exempt' },
  ],
};
