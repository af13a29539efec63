/**
 * pss/runAsNonRoot (restricted, v1.0+, changed v1.35) — containers must run as a non-root user.
 *
 * Restricted fields: `spec.securityContext.runAsNonRoot` and `securityContext.runAsNonRoot` of
 * every container. Allowed: true; a container may leave it unset when the pod sets true, and
 * no one may set false. From v1.35 a pod in a user namespace (`spec.hostUsers: false`) is
 * allowed whatever it sets.
 * Denial: `runAsNonRoot != true (pod or container "a" must set securityContext.runAsNonRoot=true)`,
 * or for explicit false `runAsNonRoot != true (pod and container "a" must not set securityContext.runAsNonRoot=false)`.
 */
import {
  containersPhrase,
  deny,
  isNil,
  isUserNamespacePod,
  securityContextOf,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const REASON = 'runAsNonRoot != true';

const runAsNonRoot1Dot0: PssCheckFn = (pod) => {
  const setters: string[] = [];
  const explicitPaths: string[] = [];
  let podNonRoot = false;
  const podValue = pod.securityContext?.runAsNonRoot;
  if (!isNil(podValue)) {
    if (podValue === true) podNonRoot = true;
    else {
      setters.push('pod');
      explicitPaths.push(pod.specPath('securityContext', 'runAsNonRoot'));
    }
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  const implicitPaths: string[] = [];
  for (const c of pod.containers) {
    const value = securityContextOf(c.container)?.runAsNonRoot;
    if (!isNil(value)) {
      if (value !== true) {
        explicit.push(c.name);
        explicitPaths.push(pod.specPath(...c.at, 'securityContext', 'runAsNonRoot'));
      }
    } else if (!podNonRoot) {
      implicit.push(c.name);
      implicitPaths.push(pod.specPathOrParent(...c.at, 'securityContext', 'runAsNonRoot'));
    }
  }
  if (explicit.length > 0) setters.push(containersPhrase(explicit));
  if (setters.length > 0)
    return deny(
      REASON,
      `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`,
      explicitPaths,
    );
  if (implicit.length > 0)
    return deny(
      REASON,
      `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true`,
      implicitPaths,
    );
  return undefined;
};

const runAsNonRoot1Dot35: PssCheckFn = (pod) =>
  isUserNamespacePod(pod) ? undefined : runAsNonRoot1Dot0(pod);

export const runAsNonRoot: PssCheck = {
  id: 'runAsNonRoot',
  level: 'restricted',
  title: 'Containers must run as non-root',
  severity: 'medium',
  rationale:
    'A container running as root is root on the node once it escapes, and can change files owned by root in any volume it mounts.',
  remediation:
    'Set spec.securityContext.runAsNonRoot: true (and a non-zero runAsUser), and do not set runAsNonRoot: false on any container.',
  refs: [
    { id: 'cis-1.10', control: '5.2.7' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: non-root and unprivileged containers' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [
    {
      minVersion: 0,
      check: runAsNonRoot1Dot0,
      change: 'runAsNonRoot true on the pod or every container; never false',
    },
    { minVersion: 35, check: runAsNonRoot1Dot35, change: 'pods with hostUsers: false exempt' },
  ],
};
