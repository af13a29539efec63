/** CIS Kubernetes Benchmark 1.10, section 2: etcd. Flags fall back to etcd's `ETCD_*` variables. */
import type { CisCheck } from '../types.js';
import { absent, all, and, compare, flagCheck, or, present, type Group } from './builders.js';

const ETCD: Group = { section: 'etcd', id: '2', title: 'Etcd Node Configuration' };

function etcdFlag(change: string): string {
  return `In the etcd static pod manifest (/etc/kubernetes/manifests/etcd.yaml), ${change}.`;
}

/** Section 2 checks, in benchmark order. */
export const ETCD_CHECKS: readonly CisCheck[] = [
  flagCheck(
    ETCD,
    {
      id: '2.1',
      text: 'Ensure that the --cert-file and --key-file arguments are set as appropriate (Automated)',
      scored: true,
      remediation: etcdFlag("set `--cert-file` and `--key-file` to etcd's serving certificate and key"),
    },
    'etcd',
    and(present('--cert-file', { env: 'ETCD_CERT_FILE' }), present('--key-file', { env: 'ETCD_KEY_FILE' })),
  ),
  flagCheck(
    ETCD,
    {
      id: '2.2',
      text: 'Ensure that the --client-cert-auth argument is set to true (Automated)',
      scored: true,
      remediation: etcdFlag('add `--client-cert-auth=true`'),
    },
    'etcd',
    all(compare('--client-cert-auth', 'eq', 'true', { env: 'ETCD_CLIENT_CERT_AUTH' })),
  ),
  flagCheck(
    ETCD,
    {
      id: '2.3',
      text: 'Ensure that the --auto-tls argument is not set to true (Automated)',
      scored: true,
      remediation: etcdFlag('remove `--auto-tls` or set it to false'),
    },
    'etcd',
    or(
      absent('--auto-tls', { env: 'ETCD_AUTO_TLS' }),
      compare('--auto-tls', 'eq', 'false', { env: 'ETCD_AUTO_TLS' }),
    ),
  ),
  flagCheck(
    ETCD,
    {
      id: '2.4',
      text: 'Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate (Automated)',
      scored: true,
      remediation: etcdFlag(
        'set `--peer-cert-file` and `--peer-key-file` to the certificate and key etcd members use with each other',
      ),
    },
    'etcd',
    and(
      present('--peer-cert-file', { env: 'ETCD_PEER_CERT_FILE' }),
      present('--peer-key-file', { env: 'ETCD_PEER_KEY_FILE' }),
    ),
  ),
  flagCheck(
    ETCD,
    {
      id: '2.5',
      text: 'Ensure that the --peer-client-cert-auth argument is set to true (Automated)',
      scored: true,
      remediation: etcdFlag('add `--peer-client-cert-auth=true`'),
    },
    'etcd',
    all(compare('--peer-client-cert-auth', 'eq', 'true', { env: 'ETCD_PEER_CLIENT_CERT_AUTH' })),
  ),
  flagCheck(
    ETCD,
    {
      id: '2.6',
      text: 'Ensure that the --peer-auto-tls argument is not set to true (Automated)',
      scored: true,
      remediation: etcdFlag('remove `--peer-auto-tls` or set it to false'),
    },
    'etcd',
    or(
      absent('--peer-auto-tls', { env: 'ETCD_PEER_AUTO_TLS' }),
      compare('--peer-auto-tls', 'eq', 'false', { env: 'ETCD_PEER_AUTO_TLS' }),
    ),
  ),
  flagCheck(
    ETCD,
    {
      id: '2.7',
      text: 'Ensure that a unique Certificate Authority is used for etcd (Manual)',
      scored: false,
      remediation: etcdFlag('set `--trusted-ca-file` to a CA used only for etcd (not the cluster CA)'),
    },
    'etcd',
    all(present('--trusted-ca-file', { env: 'ETCD_TRUSTED_CA_FILE' })),
  ),
];
