/**
 * pss/seccompProfile_restricted (restricted, v1.19+, changed v1.25) — a seccomp profile must be
 * set, and only the runtime default and localhost profiles are allowed.
 *
 * Restricted fields: `securityContext.seccompProfile.type` of the pod and of every container.
 * Allowed values: RuntimeDefault or Localhost; a container may leave it unset when the pod sets
 * an allowed one. From v1.25 pods with `spec.os.name: windows` are exempt.
 * Overrides seccompProfile_baseline. Denial: `seccompProfile (pod or container "a" must set
 * securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`, or for explicit bad
 * values `seccompProfile (container "a" must not set securityContext.seccompProfile.type to "Unconfined")`.
 */
import { validSeccompType } from './seccomp-profile-baseline.js';
import {
  containersPhrase,
  deny,
  isObject,
  isWindowsPod,
  joinQuote,
  securityContextOf,
  sortedSet,
  str,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const seccompProfileRestricted1Dot19: PssCheckFn = (pod) => {
  const setters: string[] = [];
  const values: string[] = [];
  const explicitPaths: string[] = [];
  let podSet = false;
  const podProfile = pod.securityContext?.seccompProfile;
  if (isObject(podProfile)) {
    if (validSeccompType(str(podProfile.type))) podSet = true;
    else {
      setters.push('pod');
      values.push(str(podProfile.type));
      explicitPaths.push(pod.specPathOrParent('securityContext', 'seccompProfile', 'type'));
    }
  }

  const explicit: string[] = [];
  const implicit: string[] = [];
  const implicitPaths: string[] = [];
  for (const c of pod.containers) {
    const profile = securityContextOf(c.container)?.seccompProfile;
    if (isObject(profile)) {
      if (!validSeccompType(str(profile.type))) {
        explicit.push(c.name);
        values.push(str(profile.type));
        explicitPaths.push(pod.specPathOrParent(...c.at, 'securityContext', 'seccompProfile', 'type'));
      }
    } else if (!podSet) {
      implicit.push(c.name);
      implicitPaths.push(pod.specPathOrParent(...c.at, 'securityContext', 'seccompProfile'));
    }
  }
  if (explicit.length > 0) setters.push(containersPhrase(explicit));
  if (setters.length > 0) {
    return deny(
      'seccompProfile',
      `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}`,
      explicitPaths,
    );
  }
  if (implicit.length > 0) {
    return deny(
      'seccompProfile',
      `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
      implicitPaths,
    );
  }
  return undefined;
};

const seccompProfileRestricted1Dot25: PssCheckFn = (pod) =>
  isWindowsPod(pod) ? undefined : seccompProfileRestricted1Dot19(pod);

export const seccompProfileRestricted: PssCheck = {
  id: 'seccompProfile_restricted',
  level: 'restricted',
  title: 'Pods must set the RuntimeDefault or a Localhost seccomp profile',
  severity: 'medium',
  rationale:
    'Without a seccomp profile a container may make any system call, which widens the kernel attack surface available to an attacker.',
  remediation:
    'Set spec.securityContext.seccompProfile.type to RuntimeDefault (or Localhost with a profile).',
  refs: [
    { id: 'cis-1.10', control: '5.7.2' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: hardening container environments' },
  ],
  versions: [
    {
      minVersion: 19,
      check: seccompProfileRestricted1Dot19,
      change: 'seccompProfile.type RuntimeDefault or Localhost on the pod or every container',
      overrides: ['seccompProfile_baseline'],
    },
    {
      minVersion: 25,
      check: seccompProfileRestricted1Dot25,
      change: 'Windows pods exempt',
      overrides: ['seccompProfile_baseline'],
    },
  ],
};
