/**
 * pss/capabilities_baseline (baseline, v1.0+) — adding NET_RAW or capabilities beyond the
 * container runtime's default set must be disallowed.
 *
 * Restricted fields: `securityContext.capabilities.add` of every container.
 * Allowed values: undefined, empty, or names from AUDIT_WRITE CHOWN DAC_OVERRIDE FOWNER FSETID
 * KILL MKNOD NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT.
 * Denial: `non-default capabilities (container "a" must not include "NET_RAW" in
 * securityContext.capabilities.add)`. Replaced in restricted by capabilities_restricted from v1.22.
 */
import {
  containersPhrase,
  deny,
  isObject,
  joinQuote,
  list,
  securityContextOf,
  sortedSet,
  str,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const ALLOWED_1_0 = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const capabilitiesBaseline1Dot0: PssCheckFn = (pod) => {
  const names: string[] = [];
  const bad: string[] = [];
  const paths: string[] = [];
  for (const c of pod.containers) {
    const caps = securityContextOf(c.container)?.capabilities;
    if (!isObject(caps)) continue;
    let valid = true;
    list(caps.add).forEach((cap, i) => {
      const name = str(cap);
      if (!ALLOWED_1_0.has(name)) {
        valid = false;
        bad.push(name);
        paths.push(pod.specPath(...c.at, 'securityContext', 'capabilities', 'add', i));
      }
    });
    if (!valid) names.push(c.name);
  }
  if (names.length === 0) return undefined;
  return deny(
    'non-default capabilities',
    `${containersPhrase(names)} must not include ${joinQuote(sortedSet(bad))} in securityContext.capabilities.add`,
    paths,
  );
};

export const capabilitiesBaseline: PssCheck = {
  id: 'capabilities_baseline',
  level: 'baseline',
  title: 'Containers must not add capabilities beyond the default set',
  severity: 'high',
  rationale:
    'Capabilities such as NET_RAW, SYS_ADMIN or SYS_PTRACE give a container kernel powers that enable spoofing, escapes and attacks on other pods.',
  remediation:
    'Remove every capability outside the runtime default set from securityContext.capabilities.add.',
  refs: [
    { id: 'cis-1.10', control: '5.2.8' },
    { id: 'cis-1.10', control: '5.2.9' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: non-root and unprivileged containers' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [
    { minVersion: 0, check: capabilitiesBaseline1Dot0, change: 'capabilities.add only from the default set' },
  ],
};
