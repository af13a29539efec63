/**
 * pss/seLinuxOptions (baseline, v1.0+, changed v1.31) — setting the SELinux type is restricted,
 * and setting a custom SELinux user or role is forbidden.
 *
 * Restricted fields: `securityContext.seLinuxOptions.{type,user,role}` of the pod and of every
 * container. Allowed types: "", container_t, container_init_t, container_kvm_t, and from v1.31
 * container_engine_t; user and role must be empty.
 * Denial: `seLinuxOptions (pod and container "a" set forbidden securityContext.seLinuxOptions:
 * type "spc_t"; user may not be set; role may not be set)`.
 */
import {
  containersPhrase,
  deny,
  isObject,
  joinQuote,
  pluralize,
  securityContextOf,
  sortedSet,
  str,
  type PssCheck,
  type PssCheckFn,
  type PssPod,
} from './shared.js';
import type { PathSegment } from '../../core/index.js';

const TYPES_1_0 = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
const TYPES_1_31 = [...TYPES_1_0, 'container_engine_t'];

function seLinuxOptionsCheck(allowedTypes: ReadonlySet<string>): PssCheckFn {
  return (pod: PssPod) => {
    const setters: string[] = [];
    const badTypes: string[] = [];
    const paths: string[] = [];
    let setUser = false;
    let setRole = false;

    /** Validates one seLinuxOptions object at `at` (segments from the pod spec). */
    const valid = (opts: Record<string, unknown>, at: PathSegment[]): boolean => {
      let ok = true;
      const type = str(opts.type);
      if (!allowedTypes.has(type)) {
        ok = false;
        badTypes.push(type);
        paths.push(pod.specPathOrParent(...at, 'type'));
      }
      if (str(opts.user) !== '') {
        ok = false;
        setUser = true;
        paths.push(pod.specPath(...at, 'user'));
      }
      if (str(opts.role) !== '') {
        ok = false;
        setRole = true;
        paths.push(pod.specPath(...at, 'role'));
      }
      return ok;
    };

    const podOpts = pod.securityContext?.seLinuxOptions;
    if (isObject(podOpts) && !valid(podOpts, ['securityContext', 'seLinuxOptions'])) setters.push('pod');

    const names: string[] = [];
    for (const c of pod.containers) {
      const opts = securityContextOf(c.container)?.seLinuxOptions;
      if (isObject(opts) && !valid(opts, [...c.at, 'securityContext', 'seLinuxOptions'])) names.push(c.name);
    }
    if (names.length > 0) setters.push(containersPhrase(names));
    if (setters.length === 0) return undefined;

    const data: string[] = [];
    const types = sortedSet(badTypes);
    if (types.length > 0) data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return deny(
      'seLinuxOptions',
      `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`,
      paths,
    );
  };
}

export const seLinuxOptions: PssCheck = {
  id: 'seLinuxOptions',
  level: 'baseline',
  title: 'Pods must not set a custom SELinux user, role or a privileged type',
  severity: 'medium',
  rationale:
    'SELinux labels confine container processes; a custom user, role or an unconfined type such as spc_t removes that confinement.',
  remediation:
    'Remove seLinuxOptions.user and .role, and use a container_t, container_init_t, container_kvm_t or container_engine_t type.',
  refs: [
    { id: 'cis-1.10', control: '5.7.3' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: hardening container environments' },
  ],
  versions: [
    {
      minVersion: 0,
      check: seLinuxOptionsCheck(new Set(TYPES_1_0)),
      change: 'type "", container_t, container_init_t or container_kvm_t; no user or role',
    },
    {
      minVersion: 31,
      check: seLinuxOptionsCheck(new Set(TYPES_1_31)),
      change: 'type container_engine_t allowed too',
    },
  ],
};
