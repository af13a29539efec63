/**
 * workload/no-unconfined-mac — AppArmor and SELinux must not be switched off or overridden.
 *
 * Fails when an AppArmor profile is `Unconfined` (the `appArmorProfile` field of the pod or
 * a container, or the `container.apparmor.security.beta.kubernetes.io/<name>: unconfined`
 * annotation), when an SELinux `type` other than the container types (`container_t`,
 * `container_init_t`, `container_kvm_t`, `container_engine_t`) is set, or when SELinux
 * `user` or `role` is set. Unset profiles pass: the runtime default applies.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';
import { cis, containerName, isRecord, mitre, nsa } from '../support.js';

const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
const ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

function seLinux(opts: unknown, path: string, who: string): Violation[] {
  if (!isRecord(opts)) return [];
  const out: Violation[] = [];
  if (typeof opts.type === 'string' && !SELINUX_TYPES.includes(opts.type))
    out.push({ message: `${who} sets SELinux type ${opts.type}`, path: `${path}.type` });
  for (const k of ['user', 'role'] as const)
    if (typeof opts[k] === 'string' && opts[k] !== '')
      out.push({ message: `${who} sets a custom SELinux ${k}`, path: `${path}.${k}` });
  return out;
}

export const noUnconfinedMac: Control = {
  id: 'workload/no-unconfined-mac',
  title: 'Pods must not disable AppArmor or override SELinux',
  severity: 'high',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    'AppArmor and SELinux confine what a compromised container may touch on the node; turning them off removes that layer.',
  remediation: 'Remove Unconfined AppArmor profiles and custom SELinux type, user and role options.',
  frameworks: [cis('5.7.3'), nsa('Pod security: hardening container environments'), mitre('T1562.001')],
  check({ pod }) {
    if (!pod) return [];
    const out: Violation[] = [];
    const psc = pod.spec.securityContext ?? {};
    if (isRecord(psc.appArmorProfile) && psc.appArmorProfile.type === 'Unconfined')
      out.push({
        message: 'pod runs with AppArmor Unconfined',
        path: `${pod.specPath}.securityContext.appArmorProfile.type`,
      });
    out.push(...seLinux(psc.seLinuxOptions, `${pod.specPath}.securityContext.seLinuxOptions`, 'pod'));
    for (const [key, value] of Object.entries(pod.metadata.annotations ?? {})) {
      if (key.startsWith(ANNOTATION) && value === 'unconfined')
        out.push({
          message: `container "${key.slice(ANNOTATION.length)}" runs with AppArmor unconfined (annotation)`,
          path: `${pod.metadataPath}.annotations[${JSON.stringify(key)}]`,
        });
    }
    for (const c of containersOf(pod)) {
      const sc = c.container.securityContext ?? {};
      if (isRecord(sc.appArmorProfile) && sc.appArmorProfile.type === 'Unconfined')
        out.push({
          message: `container "${containerName(c)}" runs with AppArmor Unconfined`,
          path: `${c.path}.securityContext.appArmorProfile.type`,
        });
      out.push(
        ...seLinux(
          sc.seLinuxOptions,
          `${c.path}.securityContext.seLinuxOptions`,
          `container "${containerName(c)}"`,
        ),
      );
    }
    return out;
  },
};
