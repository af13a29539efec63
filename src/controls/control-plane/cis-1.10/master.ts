/**
 * CIS Kubernetes Benchmark 1.10, section 1: control plane node files, API server, controller
 * manager and scheduler. Tests mirror the benchmark's audit definitions so that each result
 * maps to the benchmark id; remediations are Palisade's own wording.
 */
import type { CisCheck } from '../types.js';
import {
  absent,
  all,
  and,
  compare,
  fileCheck,
  flagCheck,
  manualCheck,
  modeAtMost,
  or,
  present,
  type Group,
} from './builders.js';

const FILES: Group = { section: 'master', id: '1.1', title: 'Control Plane Node Configuration Files' };
const API: Group = { section: 'master', id: '1.2', title: 'API Server' };
const CM: Group = { section: 'master', id: '1.3', title: 'Controller Manager' };
const SCHED: Group = { section: 'master', id: '1.4', title: 'Scheduler' };

const ROOT_OWNED = all(present('root:root'));

function chmod(what: string, mode: string): string {
  return `Set the mode of ${what} to ${mode} or stricter, e.g. \`chmod ${mode} <file>\`.`;
}
function chown(what: string, owner = 'root:root'): string {
  return `Make ${owner} the owner of ${what}, e.g. \`chown ${owner} <file>\`.`;
}
function apiFlag(change: string): string {
  return `In the kube-apiserver static pod manifest (/etc/kubernetes/manifests/kube-apiserver.yaml), ${change}; the kubelet restarts the API server.`;
}
function cmFlag(change: string): string {
  return `In the kube-controller-manager static pod manifest (/etc/kubernetes/manifests/kube-controller-manager.yaml), ${change}.`;
}
function schedFlag(change: string): string {
  return `In the kube-scheduler static pod manifest (/etc/kubernetes/manifests/kube-scheduler.yaml), ${change}.`;
}

const STRONG_API_CIPHERS =
  'TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256';

/** Section 1 checks, in benchmark order. */
export const MASTER_CHECKS: readonly CisCheck[] = [
  fileCheck(
    FILES,
    {
      id: '1.1.1',
      text: 'Ensure that the API server pod specification file permissions are set to 600 or more restrictive (Automated)',
      scored: true,
      remediation: chmod('the kube-apiserver manifest', '600'),
    },
    'apiserver-manifest',
    'permissions',
    modeAtMost('600'),
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.2',
      text: 'Ensure that the API server pod specification file ownership is set to root:root (Automated)',
      scored: true,
      remediation: chown('the kube-apiserver manifest'),
    },
    'apiserver-manifest',
    'owner',
    ROOT_OWNED,
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.3',
      text: 'Ensure that the controller manager pod specification file permissions are set to 600 or more restrictive (Automated)',
      scored: true,
      remediation: chmod('the kube-controller-manager manifest', '600'),
    },
    'controllermanager-manifest',
    'permissions',
    modeAtMost('600'),
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.4',
      text: 'Ensure that the controller manager pod specification file ownership is set to root:root (Automated)',
      scored: true,
      remediation: chown('the kube-controller-manager manifest'),
    },
    'controllermanager-manifest',
    'owner',
    ROOT_OWNED,
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.5',
      text: 'Ensure that the scheduler pod specification file permissions are set to 600 or more restrictive (Automated)',
      scored: true,
      remediation: chmod('the kube-scheduler manifest', '600'),
    },
    'scheduler-manifest',
    'permissions',
    modeAtMost('600'),
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.6',
      text: 'Ensure that the scheduler pod specification file ownership is set to root:root (Automated)',
      scored: true,
      remediation: chown('the kube-scheduler manifest'),
    },
    'scheduler-manifest',
    'owner',
    ROOT_OWNED,
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.7',
      text: 'Ensure that the etcd pod specification file permissions are set to 600 or more restrictive (Automated)',
      scored: true,
      remediation: chmod('the etcd manifest', '600'),
    },
    'etcd-manifest',
    'permissions',
    modeAtMost('600'),
    { multiple: true },
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.8',
      text: 'Ensure that the etcd pod specification file ownership is set to root:root (Automated)',
      scored: true,
      remediation: chown('the etcd manifest'),
    },
    'etcd-manifest',
    'owner',
    ROOT_OWNED,
    { multiple: true },
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.9',
      text: 'Ensure that the Container Network Interface file permissions are set to 600 or more restrictive (Manual)',
      scored: false,
      remediation: chmod(
        'every CNI configuration file (e.g. under /etc/cni/net.d and /var/lib/cni/networks)',
        '600',
      ),
    },
    'cni-files',
    'permissions',
    modeAtMost('600'),
    { multiple: true },
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.10',
      text: 'Ensure that the Container Network Interface file ownership is set to root:root (Manual)',
      scored: false,
      remediation: chown('every CNI configuration file'),
    },
    'cni-files',
    'owner',
    ROOT_OWNED,
    { multiple: true },
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.11',
      text: 'Ensure that the etcd data directory permissions are set to 700 or more restrictive (Automated)',
      scored: true,
      remediation:
        'Find the etcd data directory (etcd --data-dir, /var/lib/etcd on kubeadm) and set its mode to 700, e.g. `chmod 700 /var/lib/etcd`.',
    },
    'etcd-data-dir',
    'permissions',
    modeAtMost('700'),
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.12',
      text: 'Ensure that the etcd data directory ownership is set to etcd:etcd (Automated)',
      scored: true,
      remediation:
        'Make the etcd user the owner of the etcd data directory, e.g. `chown etcd:etcd /var/lib/etcd` (create the etcd user and run etcd as it).',
    },
    'etcd-data-dir',
    'owner',
    all(present('etcd:etcd')),
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.13',
      text: 'Ensure that the default administrative credential file permissions are set to 600 (Automated)',
      scored: true,
      remediation: chmod(
        '/etc/kubernetes/admin.conf and, from Kubernetes 1.29, /etc/kubernetes/super-admin.conf',
        '600',
      ),
    },
    'admin-kubeconfigs',
    'permissions-named',
    modeAtMost('600'),
    { multiple: true },
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.14',
      text: 'Ensure that the default administrative credential file ownership is set to root:root (Automated)',
      scored: true,
      remediation: chown('/etc/kubernetes/admin.conf and /etc/kubernetes/super-admin.conf'),
    },
    'admin-kubeconfigs',
    'ownership-named',
    all(compare('ownership', 'eq', 'root:root')),
    { multiple: true },
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.15',
      text: 'Ensure that the scheduler.conf file permissions are set to 600 or more restrictive (Automated)',
      scored: true,
      remediation: chmod('/etc/kubernetes/scheduler.conf', '600'),
    },
    'scheduler-kubeconfig',
    'permissions',
    modeAtMost('600'),
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.16',
      text: 'Ensure that the scheduler.conf file ownership is set to root:root (Automated)',
      scored: true,
      remediation: chown('/etc/kubernetes/scheduler.conf'),
    },
    'scheduler-kubeconfig',
    'owner',
    ROOT_OWNED,
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.17',
      text: 'Ensure that the controller-manager.conf file permissions are set to 600 or more restrictive (Automated)',
      scored: true,
      remediation: chmod('/etc/kubernetes/controller-manager.conf', '600'),
    },
    'controllermanager-kubeconfig',
    'permissions',
    modeAtMost('600'),
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.18',
      text: 'Ensure that the controller-manager.conf file ownership is set to root:root (Automated)',
      scored: true,
      remediation: chown('/etc/kubernetes/controller-manager.conf'),
    },
    'controllermanager-kubeconfig',
    'owner',
    ROOT_OWNED,
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.19',
      text: 'Ensure that the Kubernetes PKI directory and file ownership is set to root:root (Automated)',
      scored: true,
      remediation:
        'Make root:root the owner of /etc/kubernetes/pki and everything in it: `chown -R root:root /etc/kubernetes/pki/`.',
    },
    'pki-tree',
    'owner',
    ROOT_OWNED,
    { multiple: true },
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.20',
      text: 'Ensure that the Kubernetes PKI certificate file permissions are set to 600 or more restrictive (Manual)',
      scored: false,
      remediation: chmod('every certificate (*.crt) under /etc/kubernetes/pki', '600'),
    },
    'pki-certificates',
    'permissions',
    modeAtMost('600'),
    { multiple: true },
  ),
  fileCheck(
    FILES,
    {
      id: '1.1.21',
      text: 'Ensure that the Kubernetes PKI key file permissions are set to 600 (Manual)',
      scored: false,
      remediation: chmod('every private key (*.key) under /etc/kubernetes/pki', '600'),
    },
    'pki-keys',
    'permissions',
    modeAtMost('600'),
    { multiple: true },
  ),

  flagCheck(
    API,
    {
      id: '1.2.1',
      text: 'Ensure that the --anonymous-auth argument is set to false (Manual)',
      scored: false,
      remediation: apiFlag('add `--anonymous-auth=false`'),
    },
    'apiserver',
    all(compare('--anonymous-auth', 'eq', 'false')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.2',
      text: 'Ensure that the --token-auth-file parameter is not set (Automated)',
      scored: true,
      remediation: apiFlag(
        'remove `--token-auth-file` after moving its users to another authentication method',
      ),
    },
    'apiserver',
    all(absent('--token-auth-file')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.3',
      text: 'Ensure that the --DenyServiceExternalIPs is set (Manual)',
      scored: false,
      remediation: apiFlag('add DenyServiceExternalIPs to `--enable-admission-plugins`'),
    },
    'apiserver',
    or(compare('--enable-admission-plugins', 'has', 'DenyServiceExternalIPs')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.4',
      text: 'Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate (Automated)',
      scored: true,
      remediation: apiFlag(
        'set `--kubelet-client-certificate` and `--kubelet-client-key` to the client certificate and key the API server presents to kubelets',
      ),
    },
    'apiserver',
    and(present('--kubelet-client-certificate'), present('--kubelet-client-key')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.5',
      text: 'Ensure that the --kubelet-certificate-authority argument is set as appropriate (Automated)',
      scored: true,
      remediation: apiFlag(
        'set `--kubelet-certificate-authority` to the CA that signs kubelet serving certificates',
      ),
    },
    'apiserver',
    all(present('--kubelet-certificate-authority')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.6',
      text: 'Ensure that the --authorization-mode argument is not set to AlwaysAllow (Automated)',
      scored: true,
      remediation: apiFlag(
        'set `--authorization-mode` without AlwaysAllow, e.g. `--authorization-mode=Node,RBAC`',
      ),
    },
    'apiserver',
    all(compare('--authorization-mode', 'nothave', 'AlwaysAllow')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.7',
      text: 'Ensure that the --authorization-mode argument includes Node (Automated)',
      scored: true,
      remediation: apiFlag('include Node in `--authorization-mode`, e.g. `--authorization-mode=Node,RBAC`'),
    },
    'apiserver',
    all(compare('--authorization-mode', 'has', 'Node')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.8',
      text: 'Ensure that the --authorization-mode argument includes RBAC (Automated)',
      scored: true,
      remediation: apiFlag('include RBAC in `--authorization-mode`, e.g. `--authorization-mode=Node,RBAC`'),
    },
    'apiserver',
    all(compare('--authorization-mode', 'has', 'RBAC')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.9',
      text: 'Ensure that the admission control plugin EventRateLimit is set (Manual)',
      scored: false,
      remediation: apiFlag(
        'add EventRateLimit to `--enable-admission-plugins` and give its limits in `--admission-control-config-file`',
      ),
    },
    'apiserver',
    all(compare('--enable-admission-plugins', 'has', 'EventRateLimit')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.10',
      text: 'Ensure that the admission control plugin AlwaysAdmit is not set (Automated)',
      scored: true,
      remediation: apiFlag('remove AlwaysAdmit from `--enable-admission-plugins` (or drop the flag)'),
    },
    'apiserver',
    or(compare('--enable-admission-plugins', 'nothave', 'AlwaysAdmit'), absent('--enable-admission-plugins')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.11',
      text: 'Ensure that the admission control plugin AlwaysPullImages is set (Manual)',
      scored: false,
      remediation: apiFlag('add AlwaysPullImages to `--enable-admission-plugins`'),
    },
    'apiserver',
    all(compare('--enable-admission-plugins', 'has', 'AlwaysPullImages')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.12',
      text: 'Ensure that the admission control plugin ServiceAccount is set (Automated)',
      scored: true,
      remediation: apiFlag('remove ServiceAccount from `--disable-admission-plugins`'),
    },
    'apiserver',
    or(
      compare('--disable-admission-plugins', 'nothave', 'ServiceAccount'),
      absent('--disable-admission-plugins'),
    ),
  ),
  flagCheck(
    API,
    {
      id: '1.2.13',
      text: 'Ensure that the admission control plugin NamespaceLifecycle is set (Automated)',
      scored: true,
      remediation: apiFlag('remove NamespaceLifecycle from `--disable-admission-plugins`'),
    },
    'apiserver',
    or(
      compare('--disable-admission-plugins', 'nothave', 'NamespaceLifecycle'),
      absent('--disable-admission-plugins'),
    ),
  ),
  flagCheck(
    API,
    {
      id: '1.2.14',
      text: 'Ensure that the admission control plugin NodeRestriction is set (Automated)',
      scored: true,
      remediation: apiFlag('add NodeRestriction to `--enable-admission-plugins`'),
    },
    'apiserver',
    all(compare('--enable-admission-plugins', 'has', 'NodeRestriction')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.15',
      text: 'Ensure that the --profiling argument is set to false (Automated)',
      scored: true,
      remediation: apiFlag('add `--profiling=false`'),
    },
    'apiserver',
    all(compare('--profiling', 'eq', 'false')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.16',
      text: 'Ensure that the --audit-log-path argument is set (Automated)',
      scored: true,
      remediation: apiFlag(
        'set `--audit-log-path` to the file audit events are written to, e.g. /var/log/kubernetes/audit/audit.log',
      ),
    },
    'apiserver',
    all(present('--audit-log-path')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.17',
      text: 'Ensure that the --audit-log-maxage argument is set to 30 or as appropriate (Automated)',
      scored: true,
      remediation: apiFlag('set `--audit-log-maxage=30` (days) or more'),
    },
    'apiserver',
    all(compare('--audit-log-maxage', 'gte', '30')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.18',
      text: 'Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate (Automated)',
      scored: true,
      remediation: apiFlag('set `--audit-log-maxbackup=10` or more'),
    },
    'apiserver',
    all(compare('--audit-log-maxbackup', 'gte', '10')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.19',
      text: 'Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate (Automated)',
      scored: true,
      remediation: apiFlag('set `--audit-log-maxsize=100` (MB) or more'),
    },
    'apiserver',
    all(compare('--audit-log-maxsize', 'gte', '100')),
  ),
  manualCheck(API, {
    id: '1.2.20',
    text: 'Ensure that the --request-timeout argument is set as appropriate (Manual)',
    scored: false,
    remediation: apiFlag(
      'set `--request-timeout` only if the default (60s) does not suit, e.g. `--request-timeout=300s`',
    ),
  }),
  flagCheck(
    API,
    {
      id: '1.2.21',
      text: 'Ensure that the --service-account-lookup argument is set to true (Automated)',
      scored: true,
      remediation: apiFlag('remove `--service-account-lookup` (it defaults to true) or set it to true'),
    },
    'apiserver',
    or(absent('--service-account-lookup'), compare('--service-account-lookup', 'eq', 'true')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.22',
      text: 'Ensure that the --service-account-key-file argument is set as appropriate (Automated)',
      scored: true,
      remediation: apiFlag(
        'set `--service-account-key-file` to the public key that verifies service account tokens',
      ),
    },
    'apiserver',
    all(present('--service-account-key-file')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.23',
      text: 'Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate (Automated)',
      scored: true,
      remediation: apiFlag(
        'set `--etcd-certfile` and `--etcd-keyfile` to the client certificate and key for etcd',
      ),
    },
    'apiserver',
    and(present('--etcd-certfile'), present('--etcd-keyfile')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.24',
      text: 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate (Automated)',
      scored: true,
      remediation: apiFlag(
        'set `--tls-cert-file` and `--tls-private-key-file` to the serving certificate and key',
      ),
    },
    'apiserver',
    and(present('--tls-cert-file'), present('--tls-private-key-file')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.25',
      text: 'Ensure that the --client-ca-file argument is set as appropriate (Automated)',
      scored: true,
      remediation: apiFlag('set `--client-ca-file` to the CA that signs client certificates'),
    },
    'apiserver',
    all(present('--client-ca-file')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.26',
      text: 'Ensure that the --etcd-cafile argument is set as appropriate (Automated)',
      scored: true,
      remediation: apiFlag("set `--etcd-cafile` to the CA of etcd's serving certificate"),
    },
    'apiserver',
    all(present('--etcd-cafile')),
  ),
  flagCheck(
    API,
    {
      id: '1.2.27',
      text: 'Ensure that the --encryption-provider-config argument is set as appropriate (Manual)',
      scored: false,
      remediation: apiFlag(
        'write an EncryptionConfiguration and pass its path in `--encryption-provider-config`',
      ),
    },
    'apiserver',
    all(present('--encryption-provider-config')),
  ),
  {
    id: '1.2.28',
    section: 'master',
    group: { id: API.id, title: API.title },
    text: 'Ensure that encryption providers are appropriately configured (Manual)',
    scored: false,
    audit: { kind: 'encryption-providers' },
    tests: all(compare('provider', 'valid_elements', 'aescbc,kms,secretbox')),
    remediation:
      'In the EncryptionConfiguration named by --encryption-provider-config, make aescbc, kms or secretbox the first provider of every resource.',
  },
  flagCheck(
    API,
    {
      id: '1.2.29',
      text: 'Ensure that the API Server only makes use of Strong Cryptographic Ciphers (Manual)',
      scored: false,
      remediation: apiFlag(
        'set `--tls-cipher-suites` to a subset of the AEAD ECDHE and TLS 1.3 suites the benchmark lists',
      ),
    },
    'apiserver',
    all(compare('--tls-cipher-suites', 'valid_elements', STRONG_API_CIPHERS)),
  ),

  flagCheck(
    CM,
    {
      id: '1.3.1',
      text: 'Ensure that the --terminated-pod-gc-threshold argument is set as appropriate (Manual)',
      scored: false,
      remediation: cmFlag('set `--terminated-pod-gc-threshold`, e.g. `--terminated-pod-gc-threshold=10`'),
    },
    'controllermanager',
    all(present('--terminated-pod-gc-threshold')),
  ),
  flagCheck(
    CM,
    {
      id: '1.3.2',
      text: 'Ensure that the --profiling argument is set to false (Automated)',
      scored: true,
      remediation: cmFlag('add `--profiling=false`'),
    },
    'controllermanager',
    all(compare('--profiling', 'eq', 'false')),
  ),
  flagCheck(
    CM,
    {
      id: '1.3.3',
      text: 'Ensure that the --use-service-account-credentials argument is set to true (Automated)',
      scored: true,
      remediation: cmFlag('add `--use-service-account-credentials=true`'),
    },
    'controllermanager',
    all(compare('--use-service-account-credentials', 'noteq', 'false')),
  ),
  flagCheck(
    CM,
    {
      id: '1.3.4',
      text: 'Ensure that the --service-account-private-key-file argument is set as appropriate (Automated)',
      scored: true,
      remediation: cmFlag(
        'set `--service-account-private-key-file` to the key that signs service account tokens',
      ),
    },
    'controllermanager',
    all(present('--service-account-private-key-file')),
  ),
  flagCheck(
    CM,
    {
      id: '1.3.5',
      text: 'Ensure that the --root-ca-file argument is set as appropriate (Automated)',
      scored: true,
      remediation: cmFlag('set `--root-ca-file` to the cluster CA bundle'),
    },
    'controllermanager',
    all(present('--root-ca-file')),
  ),
  flagCheck(
    CM,
    {
      id: '1.3.6',
      text: 'Ensure that the RotateKubeletServerCertificate argument is set to true (Automated)',
      scored: true,
      remediation: cmFlag('remove RotateKubeletServerCertificate=false from `--feature-gates`'),
    },
    'controllermanager',
    or(
      compare('--feature-gates', 'nothave', 'RotateKubeletServerCertificate=false', { set: true }),
      absent('--feature-gates'),
    ),
  ),
  flagCheck(
    CM,
    {
      id: '1.3.7',
      text: 'Ensure that the --bind-address argument is set to 127.0.0.1 (Automated)',
      scored: true,
      remediation: cmFlag('set `--bind-address=127.0.0.1`'),
    },
    'controllermanager',
    or(compare('--bind-address', 'eq', '127.0.0.1'), absent('--bind-address')),
  ),

  flagCheck(
    SCHED,
    {
      id: '1.4.1',
      text: 'Ensure that the --profiling argument is set to false (Automated)',
      scored: true,
      remediation: schedFlag('add `--profiling=false`'),
    },
    'scheduler',
    all(compare('--profiling', 'eq', 'false')),
  ),
  flagCheck(
    SCHED,
    {
      id: '1.4.2',
      text: 'Ensure that the --bind-address argument is set to 127.0.0.1 (Automated)',
      scored: true,
      remediation: schedFlag('set `--bind-address=127.0.0.1`'),
    },
    'scheduler',
    or(compare('--bind-address', 'eq', '127.0.0.1'), absent('--bind-address')),
  ),
];
