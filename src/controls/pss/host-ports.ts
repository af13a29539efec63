/**
 * pss/hostPorts (baseline, v1.0+) — host ports must be forbidden.
 *
 * Restricted fields: `ports[*].hostPort` of every container. Allowed values: undefined or 0.
 * Denial: `hostPort (container "a" uses hostPort 8080)`; ports listed distinct, sorted as text.
 */
import {
  containersPhrase,
  deny,
  isNil,
  isObject,
  list,
  pluralize,
  sortedSet,
  str,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const hostPorts1Dot0: PssCheckFn = (pod) => {
  const names: string[] = [];
  const ports: string[] = [];
  const paths: string[] = [];
  for (const c of pod.containers) {
    let valid = true;
    list(c.container.ports).forEach((p, i) => {
      if (!isObject(p) || isNil(p.hostPort) || p.hostPort === 0) return;
      valid = false;
      ports.push(str(p.hostPort));
      paths.push(pod.specPath(...c.at, 'ports', i, 'hostPort'));
    });
    if (!valid) names.push(c.name);
  }
  if (names.length === 0) return undefined;
  const distinct = sortedSet(ports);
  return deny(
    'hostPort',
    `${containersPhrase(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('hostPort', 'hostPorts', distinct.length)} ${distinct.join(', ')}`,
    paths,
  );
};

export const hostPorts: PssCheck = {
  id: 'hostPorts',
  level: 'baseline',
  title: 'Containers must not bind host ports',
  severity: 'medium',
  rationale:
    "A host port binds the node's own interface: it bypasses network policies and Services and ties the pod to the node.",
  remediation: 'Remove ports[*].hostPort (or set it to 0) and expose the pod through a Service.',
  refs: [
    { id: 'cis-1.10', control: '5.2.13' },
    { id: 'nsa-cisa-1.2', control: 'Network separation and hardening' },
  ],
  versions: [{ minVersion: 0, check: hostPorts1Dot0, change: 'no hostPort' }],
};
