/**
 * pss/windowsHostProcess (baseline, v1.0+) — Windows HostProcess containers have full access to
 * the Windows node and must be disallowed.
 *
 * Restricted fields: `securityContext.windowsOptions.hostProcess` of the pod and of every
 * container. Allowed values: undefined or false.
 * Denial: `hostProcess (pod and container "a" must not set securityContext.windowsOptions.hostProcess=true)`.
 */
import {
  containersPhrase,
  deny,
  isObject,
  securityContextOf,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

function hostProcessOn(sc: Record<string, unknown> | undefined): boolean {
  const w = sc?.windowsOptions;
  return isObject(w) && w.hostProcess === true;
}

const windowsHostProcess1Dot0: PssCheckFn = (pod) => {
  const setters: string[] = [];
  const paths: string[] = [];
  const names: string[] = [];
  const containerPaths: string[] = [];
  for (const c of pod.containers) {
    if (hostProcessOn(securityContextOf(c.container))) {
      names.push(c.name);
      containerPaths.push(pod.specPath(...c.at, 'securityContext', 'windowsOptions', 'hostProcess'));
    }
  }
  if (hostProcessOn(pod.securityContext)) {
    setters.push('pod');
    paths.push(pod.specPath('securityContext', 'windowsOptions', 'hostProcess'));
  }
  if (names.length > 0) setters.push(containersPhrase(names));
  if (setters.length === 0) return undefined;
  return deny(
    'hostProcess',
    `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`,
    [...paths, ...containerPaths],
  );
};

export const windowsHostProcess: PssCheck = {
  id: 'windowsHostProcess',
  level: 'baseline',
  title: 'Pods must not run Windows HostProcess containers',
  severity: 'critical',
  rationale:
    'A HostProcess container runs directly on the Windows node with host privileges: it is the Windows equivalent of a privileged container.',
  remediation:
    'Remove securityContext.windowsOptions.hostProcess from the pod and its containers, or set it to false.',
  refs: [
    { id: 'cis-1.10', control: '5.2.11' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: non-root and unprivileged containers' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [{ minVersion: 0, check: windowsHostProcess1Dot0, change: 'no windowsOptions.hostProcess' }],
};
