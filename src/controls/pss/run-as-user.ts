/**
 * pss/runAsUser (restricted, v1.23+, changed v1.35) — containers must not run as UID 0.
 *
 * Restricted fields: `spec.securityContext.runAsUser` and `securityContext.runAsUser` of every
 * container. Allowed values: any non-zero UID, or undefined. From v1.35 a pod in a user
 * namespace (`spec.hostUsers: false`) is allowed whatever it sets.
 * Denial: `runAsUser=0 (pod and container "a" must not set runAsUser=0)`.
 */
import {
  containersPhrase,
  deny,
  isUserNamespacePod,
  securityContextOf,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const runAsUser1Dot23: PssCheckFn = (pod) => {
  const setters: string[] = [];
  const paths: string[] = [];
  if (pod.securityContext?.runAsUser === 0) {
    setters.push('pod');
    paths.push(pod.specPath('securityContext', 'runAsUser'));
  }
  const names: string[] = [];
  for (const c of pod.containers) {
    if (securityContextOf(c.container)?.runAsUser === 0) {
      names.push(c.name);
      paths.push(pod.specPath(...c.at, 'securityContext', 'runAsUser'));
    }
  }
  if (names.length > 0) setters.push(containersPhrase(names));
  if (setters.length === 0) return undefined;
  return deny('runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`, paths);
};

const runAsUser1Dot35: PssCheckFn = (pod) => (isUserNamespacePod(pod) ? undefined : runAsUser1Dot23(pod));

export const runAsUser: PssCheck = {
  id: 'runAsUser',
  level: 'restricted',
  title: 'Containers must not run as UID 0',
  severity: 'medium',
  rationale:
    'Setting runAsUser to 0 runs the container as root, which runAsNonRoot alone does not always catch.',
  remediation: 'Set runAsUser to a non-zero UID, or remove it and rely on a non-root image user.',
  refs: [
    { id: 'cis-1.10', control: '5.2.7' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: non-root and unprivileged containers' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [
    { minVersion: 23, check: runAsUser1Dot23, change: 'runAsUser never 0' },
    { minVersion: 35, check: runAsUser1Dot35, change: 'pods with hostUsers: false exempt' },
  ],
};
