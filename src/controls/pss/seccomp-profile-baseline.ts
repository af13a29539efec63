/**
 * pss/seccompProfile_baseline (baseline, v1.0+, changed v1.19) — if a seccomp profile is
 * specified, only the runtime default and localhost profiles are allowed.
 *
 * v1.0–v1.18: the annotations `seccomp.security.alpha.kubernetes.io/pod` and
 * `container.seccomp.security.alpha.kubernetes.io/<container name>` must be `runtime/default`,
 * `docker/default`, `localhost/*` or unset.
 * v1.19+: `securityContext.seccompProfile.type` of the pod and of every container must be
 * RuntimeDefault, Localhost or unset.
 * Replaced in restricted by seccompProfile_restricted from v1.19.
 * Denial: `seccompProfile (forbidden annotation <key>="unconfined")` (v1.0) or
 * `seccompProfile (pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined")`.
 */
import {
  deny,
  goQuote,
  isObject,
  joinQuote,
  pluralize,
  profileTypeViolations,
  sortedSet,
  str,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

function validAnnotationValue(v: string): boolean {
  return v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
}

/** Returns true for a seccomp profile type allowed by both levels. */
export function validSeccompType(t: string): boolean {
  return t === 'RuntimeDefault' || t === 'Localhost';
}

const seccompProfileBaseline1Dot0: PssCheckFn = (pod) => {
  const annotations = pod.metadata.annotations;
  if (!isObject(annotations)) return undefined;
  const forbidden: string[] = [];
  const paths: string[] = [];
  const visit = (key: string): void => {
    if (!Object.hasOwn(annotations, key)) return;
    const value = str(annotations[key]);
    if (validAnnotationValue(value)) return;
    forbidden.push(`${key}=${goQuote(value)}`);
    paths.push(pod.metadataPath('annotations', key));
  };
  visit(POD_ANNOTATION);
  for (const c of pod.containers) visit(CONTAINER_ANNOTATION_PREFIX + c.name);
  const distinct = sortedSet(forbidden);
  if (distinct.length === 0) return undefined;
  return deny(
    'seccompProfile',
    `forbidden ${pluralize('annotation', 'annotations', distinct.length)} ${distinct.join(', ')}`,
    paths,
  );
};

const seccompProfileBaseline1Dot19: PssCheckFn = (pod) => {
  const { setters, values, paths } = profileTypeViolations(pod, 'seccompProfile', validSeccompType);
  if (setters.length === 0) return undefined;
  return deny(
    'seccompProfile',
    `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}`,
    paths,
  );
};

export const seccompProfileBaseline: PssCheck = {
  id: 'seccompProfile_baseline',
  level: 'baseline',
  title: 'Pods must not disable seccomp',
  severity: 'medium',
  rationale:
    'Seccomp filters the system calls a container may make; an Unconfined profile exposes the whole kernel interface to it.',
  remediation:
    'Set securityContext.seccompProfile.type to RuntimeDefault or Localhost (or remove an Unconfined profile).',
  refs: [
    { id: 'cis-1.10', control: '5.7.2' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: hardening container environments' },
  ],
  versions: [
    {
      minVersion: 0,
      check: seccompProfileBaseline1Dot0,
      change: 'seccomp annotations: runtime/default, docker/default, localhost/* or unset',
    },
    {
      minVersion: 19,
      check: seccompProfileBaseline1Dot19,
      change: 'seccompProfile.type: RuntimeDefault, Localhost or unset',
    },
  ],
};
