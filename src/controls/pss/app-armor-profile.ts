/**
 * pss/appArmorProfile (baseline, v1.0+) — the default AppArmor profile must not be overridden
 * or disabled, except for an allowed set of profiles.
 *
 * Restricted fields: `securityContext.appArmorProfile.type` of the pod and of every container
 * (allowed: RuntimeDefault, Localhost, undefined), and the annotations
 * `container.apparmor.security.beta.kubernetes.io/*` (allowed: `runtime/default`,
 * `localhost/*`, empty). Upstream amended the single v1.0 revision in place to read the
 * fields, so they apply at every policy version.
 * Denial: `forbidden AppArmor profile (pod and container "a" and annotation must not set
 * AppArmor profile type to "Unconfined", "<key>="unconfined"")`.
 */
import {
  deny,
  goQuote,
  joinQuote,
  pluralize,
  profileTypeViolations,
  sortedSet,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function allowedAnnotationValue(v: string): boolean {
  return v === '' || v === 'runtime/default' || v.startsWith('localhost/');
}

function allowedType(t: string): boolean {
  return t === 'RuntimeDefault' || t === 'Localhost';
}

const appArmorProfile1Dot0: PssCheckFn = (pod) => {
  const { setters, values, paths } = profileTypeViolations(pod, 'appArmorProfile', allowedType);

  const annotations: string[] = [];
  for (const [key, value] of pod.annotations) {
    if (key.startsWith(ANNOTATION_PREFIX) && !allowedAnnotationValue(value)) {
      annotations.push(`${key}=${goQuote(value)}`);
      paths.push(pod.metadataPath('annotations', key));
    }
  }

  const badValues = sortedSet(values);
  if (annotations.length > 0) {
    badValues.push(...annotations.sort());
    setters.push(pluralize('annotation', 'annotations', annotations.length));
  }
  if (setters.length === 0) return undefined;
  return deny(
    pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', badValues.length),
    `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(badValues)}`,
    paths,
  );
};

export const appArmorProfile: PssCheck = {
  id: 'appArmorProfile',
  level: 'baseline',
  title: 'Pods must not disable or override the default AppArmor profile',
  severity: 'medium',
  rationale:
    'AppArmor confines what a container process may do on the node; an unconfined profile removes that layer of defence.',
  remediation:
    'Use securityContext.appArmorProfile.type RuntimeDefault or Localhost, and remove "unconfined" AppArmor annotations.',
  refs: [
    { id: 'cis-1.10', control: '5.7.3' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: hardening container environments' },
  ],
  versions: [
    {
      minVersion: 0,
      check: appArmorProfile1Dot0,
      change: 'AppArmor annotations and appArmorProfile.type: RuntimeDefault, Localhost or unset',
    },
  ],
};
