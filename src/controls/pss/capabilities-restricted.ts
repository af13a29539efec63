/**
 * pss/capabilities_restricted (restricted, v1.22+, changed v1.25) — containers must drop ALL
 * capabilities and may add back only NET_BIND_SERVICE.
 *
 * Restricted fields: `securityContext.capabilities.drop` of every container (must include
 * "ALL") and `securityContext.capabilities.add` (only "NET_BIND_SERVICE"). From v1.25 pods with
 * `spec.os.name: windows` are exempt. Overrides capabilities_baseline.
 * Denial: `unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"];
 * container "b" must not include "SYS_ADMIN" in securityContext.capabilities.add)`.
 */
import {
  containersPhrase,
  deny,
  isObject,
  isWindowsPod,
  joinQuote,
  list,
  securityContextOf,
  sortedSet,
  str,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const capabilitiesRestricted1Dot22: PssCheckFn = (pod) => {
  const missingDropAll: string[] = [];
  const adding: string[] = [];
  const forbidden: string[] = [];
  const dropPaths: string[] = [];
  const addPaths: string[] = [];
  for (const c of pod.containers) {
    const caps = securityContextOf(c.container)?.capabilities;
    if (!isObject(caps)) {
      missingDropAll.push(c.name);
      dropPaths.push(pod.specPathOrParent(...c.at, 'securityContext', 'capabilities'));
      continue;
    }
    if (!list(caps.drop).some((d) => d === 'ALL')) {
      missingDropAll.push(c.name);
      dropPaths.push(pod.specPathOrParent(...c.at, 'securityContext', 'capabilities', 'drop'));
    }
    let addsForbidden = false;
    list(caps.add).forEach((a, i) => {
      if (a === 'NET_BIND_SERVICE') return;
      addsForbidden = true;
      forbidden.push(str(a));
      addPaths.push(pod.specPath(...c.at, 'securityContext', 'capabilities', 'add', i));
    });
    if (addsForbidden) adding.push(c.name);
  }
  const details: string[] = [];
  if (missingDropAll.length > 0)
    details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length > 0)
    details.push(
      `${containersPhrase(adding)} must not include ${joinQuote(sortedSet(forbidden))} in securityContext.capabilities.add`,
    );
  if (details.length === 0) return undefined;
  return deny('unrestricted capabilities', details.join('; '), [...dropPaths, ...addPaths]);
};

const capabilitiesRestricted1Dot25: PssCheckFn = (pod) =>
  isWindowsPod(pod) ? undefined : capabilitiesRestricted1Dot22(pod);

export const capabilitiesRestricted: PssCheck = {
  id: 'capabilities_restricted',
  level: 'restricted',
  title: 'Containers must drop ALL capabilities and add only NET_BIND_SERVICE',
  severity: 'medium',
  rationale:
    'The runtime default capabilities still include powers such as NET_RAW and CHOWN; least privilege starts from none.',
  remediation:
    'Set securityContext.capabilities.drop: ["ALL"] on every container and add back at most NET_BIND_SERVICE.',
  refs: [
    { id: 'cis-1.10', control: '5.2.8' },
    { id: 'cis-1.10', control: '5.2.9' },
    { id: 'cis-1.10', control: '5.2.10' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: non-root and unprivileged containers' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [
    {
      minVersion: 22,
      check: capabilitiesRestricted1Dot22,
      change: 'drop ALL; add only NET_BIND_SERVICE',
      overrides: ['capabilities_baseline'],
    },
    {
      minVersion: 25,
      check: capabilitiesRestricted1Dot25,
      change: 'Windows pods exempt',
      overrides: ['capabilities_baseline'],
    },
  ],
};
