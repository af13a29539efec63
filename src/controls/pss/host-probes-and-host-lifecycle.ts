/**
 * pss/hostProbesAndHostLifecycle (baseline, v1.34+) — probes and lifecycle handlers must not
 * target another host, which would let the kubelet reach arbitrary addresses for the pod.
 *
 * Restricted fields, for every container: `livenessProbe`, `readinessProbe` and `startupProbe`
 * `.httpGet.host` and `.tcpSocket.host`; `lifecycle.postStart` and `lifecycle.preStop`
 * `.httpGet.host` and `.tcpSocket.host`. Allowed values: "" or undefined.
 * Denial: `probe or lifecycle host (container "a" uses probe or lifecycle host "bad.host")`;
 * containers and hosts are listed distinct and sorted, as upstream.
 */
import {
  containersPhrase,
  deny,
  isObject,
  joinQuote,
  pluralize,
  sortedSet,
  str,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';
import type { PathSegment } from '../../core/index.js';

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const HANDLERS = ['postStart', 'preStop'] as const;
const ACTIONS = ['httpGet', 'tcpSocket'] as const;

const hostProbesAndHostLifecycle1Dot34: PssCheckFn = (pod) => {
  const names: string[] = [];
  const hosts: string[] = [];
  const paths: string[] = [];
  for (const c of pod.containers) {
    let bad = false;
    const inspect = (handler: unknown, at: PathSegment[]): void => {
      if (!isObject(handler)) return;
      for (const action of ACTIONS) {
        const a = handler[action];
        if (!isObject(a) || str(a.host) === '') continue;
        bad = true;
        hosts.push(str(a.host));
        paths.push(pod.specPath(...at, action, 'host'));
      }
    };
    for (const probe of PROBES) inspect(c.container[probe], [...c.at, probe]);
    const lifecycle = c.container.lifecycle;
    if (isObject(lifecycle)) {
      for (const h of HANDLERS) inspect(lifecycle[h], [...c.at, 'lifecycle', h]);
    }
    if (bad) names.push(c.name);
  }
  if (names.length === 0) return undefined;
  const containers = sortedSet(names);
  const distinctHosts = sortedSet(hosts);
  return deny(
    'probe or lifecycle host',
    `${containersPhrase(containers)} ${pluralize('uses', 'use', containers.length)} ${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', distinctHosts.length)} ${joinQuote(distinctHosts)}`,
    paths,
  );
};

export const hostProbesAndHostLifecycle: PssCheck = {
  id: 'hostProbesAndHostLifecycle',
  level: 'baseline',
  title: 'Probes and lifecycle handlers must not target another host',
  severity: 'medium',
  rationale:
    "A probe or lifecycle handler with a host makes the kubelet connect to that address on the pod's behalf, which can reach services the pod itself may not.",
  remediation: 'Remove the host field from httpGet and tcpSocket probes and lifecycle handlers.',
  refs: [{ id: 'nsa-cisa-1.2', control: 'Network separation and hardening' }],
  versions: [
    {
      minVersion: 34,
      check: hostProbesAndHostLifecycle1Dot34,
      change: 'no host in probe or lifecycle httpGet/tcpSocket',
    },
  ],
};
