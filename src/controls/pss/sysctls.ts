/**
 * pss/sysctls (baseline, v1.0+, changed v1.27, v1.29, v1.32, v1.37) — sysctls can disable
 * security mechanisms or affect every container on the node; only a safe, namespaced subset is
 * allowed.
 *
 * Restricted fields: `spec.securityContext.sysctls[*].name`. Allowed names:
 * v1.0 kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies,
 * net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start;
 * + v1.27 net.ipv4.ip_local_reserved_ports;
 * + v1.29 net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl,
 *   net.ipv4.tcp_keepalive_probes;
 * + v1.32 net.ipv4.tcp_rmem, net.ipv4.tcp_wmem;
 * + v1.37 net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat.
 * Denial: `forbidden sysctls (kernel.msgmax, net.core.somaxconn)`, names in spec order.
 */
import { deny, isObject, list, str, type PssCheck, type PssCheckFn } from './shared.js';

const ALLOWED_1_0 = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
const ALLOWED_1_27 = [...ALLOWED_1_0, 'net.ipv4.ip_local_reserved_ports'];
const ALLOWED_1_29 = [
  ...ALLOWED_1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const ALLOWED_1_32 = [...ALLOWED_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const ALLOWED_1_37 = [...ALLOWED_1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

function sysctlsCheck(allowed: readonly string[]): PssCheckFn {
  const names = new Set(allowed);
  return (pod) => {
    const forbidden: string[] = [];
    const paths: string[] = [];
    list(pod.securityContext?.sysctls).forEach((s, i) => {
      const name = isObject(s) ? str(s.name) : '';
      if (names.has(name)) return;
      forbidden.push(name);
      paths.push(pod.specPathOrParent('securityContext', 'sysctls', i, 'name'));
    });
    if (forbidden.length === 0) return undefined;
    return deny('forbidden sysctls', forbidden.join(', '), paths);
  };
}

export const sysctls: PssCheck = {
  id: 'sysctls',
  level: 'baseline',
  title: 'Pods must set only safe sysctls',
  severity: 'medium',
  rationale:
    'Unsafe sysctls are not isolated per pod: they can change kernel behaviour for every workload on the node or disable protections.',
  remediation: 'Remove spec.securityContext.sysctls entries outside the safe set.',
  refs: [{ id: 'nsa-cisa-1.2', control: 'Pod security: hardening container environments' }],
  versions: [
    {
      minVersion: 0,
      check: sysctlsCheck(ALLOWED_1_0),
      change:
        'only kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start',
    },
    {
      minVersion: 27,
      check: sysctlsCheck(ALLOWED_1_27),
      change: 'net.ipv4.ip_local_reserved_ports allowed too',
    },
    {
      minVersion: 29,
      check: sysctlsCheck(ALLOWED_1_29),
      change:
        'net.ipv4.tcp_keepalive_time, tcp_fin_timeout, tcp_keepalive_intvl, tcp_keepalive_probes allowed too',
    },
    { minVersion: 32, check: sysctlsCheck(ALLOWED_1_32), change: 'net.ipv4.tcp_rmem, tcp_wmem allowed too' },
    {
      minVersion: 37,
      check: sysctlsCheck(ALLOWED_1_37),
      change: 'net.ipv4.tcp_slow_start_after_idle, tcp_notsent_lowat allowed too',
    },
  ],
};
