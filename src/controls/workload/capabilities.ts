/**
 * Capability controls: what a container adds to and drops from the runtime's default set.
 *
 * - workload/no-added-capabilities: fails for each capability in `capabilities.add` other
 *   than NET_BIND_SERVICE (the one the restricted Pod Security level allows).
 * - workload/drop-all-capabilities: fails for each container whose `capabilities.drop` does
 *   not contain ALL.
 * - workload/no-net-raw: fails when NET_RAW is added, or when neither ALL nor NET_RAW is
 *   dropped (container runtimes grant NET_RAW by default).
 * Capability names are compared case-insensitively without a `CAP_` prefix, as runtimes do.
 * Windows pods are exempt.
 */
import { containersOf, type ContainerEntry, type Control, type Violation } from '../../core/index.js';
import { cis, containerName, isRecord, isWindowsPod, mitre, nsa, securityPath } from '../support.js';

function capList(c: ContainerEntry, field: 'add' | 'drop'): string[] | undefined {
  const caps = c.container.securityContext?.capabilities;
  if (!isRecord(caps)) return undefined;
  const list = caps[field];
  return Array.isArray(list) ? list.map((x) => String(x)) : undefined;
}

function norm(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, '');
}

function capsPath(c: ContainerEntry, field: 'add' | 'drop'): string {
  const caps = c.container.securityContext?.capabilities;
  if (isRecord(caps))
    return caps[field] !== undefined
      ? `${c.path}.securityContext.capabilities.${field}`
      : `${c.path}.securityContext.capabilities`;
  return securityPath(c);
}

export const noAddedCapabilities: Control = {
  id: 'workload/no-added-capabilities',
  title: 'Containers must not add Linux capabilities',
  severity: 'high',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    'Added capabilities such as SYS_ADMIN or NET_ADMIN give a container powers over the node kernel.',
  remediation: 'Remove securityContext.capabilities.add (NET_BIND_SERVICE alone is acceptable).',
  frameworks: [cis('5.2.9'), nsa('Pod security: non-root and unprivileged containers'), mitre('T1611')],
  check({ pod }) {
    if (!pod || isWindowsPod(pod)) return [];
    const out: Violation[] = [];
    for (const c of containersOf(pod)) {
      (capList(c, 'add') ?? []).forEach((cap, i) => {
        if (norm(cap) === 'NET_BIND_SERVICE') return;
        out.push({
          message: `container "${containerName(c)}" adds capability ${cap}`,
          path: `${c.path}.securityContext.capabilities.add[${i}]`,
        });
      });
    }
    return out;
  },
};

export const dropAllCapabilities: Control = {
  id: 'workload/drop-all-capabilities',
  title: 'Containers must drop all capabilities',
  severity: 'medium',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale: 'The runtime default set (CHOWN, SETUID, NET_RAW, …) is more than most applications need.',
  remediation: 'Set securityContext.capabilities.drop: ["ALL"] and add back only what is needed.',
  frameworks: [cis('5.2.10'), nsa('Pod security: non-root and unprivileged containers'), mitre('T1611')],
  check({ pod }) {
    if (!pod || isWindowsPod(pod)) return [];
    return containersOf(pod)
      .filter((c) => !(capList(c, 'drop') ?? []).some((cap) => norm(cap) === 'ALL'))
      .map((c) => ({
        message: `container "${containerName(c)}" does not drop ALL capabilities`,
        path: capsPath(c, 'drop'),
      }));
  },
};

export const noNetRaw: Control = {
  id: 'workload/no-net-raw',
  title: 'Containers must not have the NET_RAW capability',
  severity: 'medium',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale: 'NET_RAW allows crafting packets: ARP and DNS spoofing of neighbouring pods on the node.',
  remediation: 'Drop NET_RAW (or ALL) in securityContext.capabilities.drop and do not add it back.',
  frameworks: [cis('5.2.8'), nsa('Pod security: non-root and unprivileged containers'), mitre('T1557')],
  check({ pod }) {
    if (!pod || isWindowsPod(pod)) return [];
    const out: Violation[] = [];
    for (const c of containersOf(pod)) {
      const added = (capList(c, 'add') ?? []).findIndex((cap) => norm(cap) === 'NET_RAW');
      if (added >= 0) {
        out.push({
          message: `container "${containerName(c)}" adds NET_RAW`,
          path: `${c.path}.securityContext.capabilities.add[${added}]`,
        });
        continue;
      }
      const drop = (capList(c, 'drop') ?? []).map(norm);
      if (!drop.includes('ALL') && !drop.includes('NET_RAW'))
        out.push({
          message: `container "${containerName(c)}" keeps the default NET_RAW capability`,
          path: capsPath(c, 'drop'),
        });
    }
    return out;
  },
};
