/**
 * pss/privileged (baseline, v1.0+) — privileged pods disable most security mechanisms.
 *
 * Restricted fields: `securityContext.privileged` of every container (init, regular, ephemeral).
 * Allowed values: undefined, null or false.
 * Denial: `privileged (container "a" must not set securityContext.privileged=true)`.
 */
import { containersPhrase, deny, securityContextOf, type PssCheck, type PssCheckFn } from './shared.js';

const privileged1Dot0: PssCheckFn = (pod) => {
  const names: string[] = [];
  const paths: string[] = [];
  for (const c of pod.containers) {
    if (securityContextOf(c.container)?.privileged === true) {
      names.push(c.name);
      paths.push(pod.specPath(...c.at, 'securityContext', 'privileged'));
    }
  }
  if (names.length === 0) return undefined;
  return deny('privileged', `${containersPhrase(names)} must not set securityContext.privileged=true`, paths);
};

export const privileged: PssCheck = {
  id: 'privileged',
  level: 'baseline',
  title: 'Containers must not run privileged',
  severity: 'critical',
  rationale:
    "A privileged container runs with every capability and the host's devices; it is root on the node in all but name.",
  remediation: 'Remove securityContext.privileged from every container, or set it to false.',
  refs: [
    { id: 'cis-1.10', control: '5.2.2' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: non-root and unprivileged containers' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [{ minVersion: 0, check: privileged1Dot0, change: 'no privileged containers' }],
};
