/** CIS Kubernetes Benchmark 1.10, section 4: worker node files, kubelet and kube-proxy. */
import type { CisCheck } from '../types.js';
import {
  absent,
  all,
  compare,
  fileCheck,
  flagCheck,
  modeAtMost,
  or,
  present,
  type Group,
} from './builders.js';

const FILES: Group = { section: 'node', id: '4.1', title: 'Worker Node Configuration Files' };
const KUBELET: Group = { section: 'node', id: '4.2', title: 'Kubelet' };
const PROXY: Group = { section: 'node', id: '4.3', title: 'kube-proxy' };

const ROOT_OWNED = all(present('root:root'));

function kubelet(configChange: string, flagChange: string): string {
  return `In the kubelet config file (/var/lib/kubelet/config.yaml on kubeadm) ${configChange}; or, when the kubelet is configured by flags, ${flagChange} in its systemd drop-in. Then restart the kubelet (systemctl daemon-reload && systemctl restart kubelet).`;
}

const STRONG_KUBELET_CIPHERS =
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_GCM_SHA256';

/** Section 4 checks, in benchmark order. */
export const NODE_CHECKS: readonly CisCheck[] = [
  fileCheck(
    FILES,
    {
      id: '4.1.1',
      text: 'Ensure that the kubelet service file permissions are set to 600 or more restrictive (Automated)',
      scored: true,
      remediation:
        'Set the mode of the kubelet systemd unit and drop-ins to 600, e.g. `chmod 600 /usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf`.',
    },
    'kubelet-service',
    'permissions',
    modeAtMost('600'),
  ),
  fileCheck(
    FILES,
    {
      id: '4.1.2',
      text: 'Ensure that the kubelet service file ownership is set to root:root (Automated)',
      scored: true,
      remediation: 'Make root:root the owner of the kubelet systemd unit and drop-ins.',
    },
    'kubelet-service',
    'owner',
    or(present('root:root'), present('File not found')),
    { whenMissing: 'File not found' },
  ),
  fileCheck(
    FILES,
    {
      id: '4.1.3',
      text: 'If proxy kubeconfig file exists ensure permissions are set to 600 or more restrictive (Manual)',
      scored: false,
      remediation: "Set the mode of kube-proxy's kubeconfig file to 600.",
    },
    'proxy-kubeconfig',
    'permissions',
    or(compare('permissions', 'bitmask', '600', { set: true })),
  ),
  fileCheck(
    FILES,
    {
      id: '4.1.4',
      text: 'If proxy kubeconfig file exists ensure ownership is set to root:root (Manual)',
      scored: false,
      remediation: "Make root:root the owner of kube-proxy's kubeconfig file.",
    },
    'proxy-kubeconfig',
    'owner',
    or(present('root:root')),
  ),
  fileCheck(
    FILES,
    {
      id: '4.1.5',
      text: 'Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or more restrictive (Automated)',
      scored: true,
      remediation: "Set the mode of the kubelet's kubeconfig (/etc/kubernetes/kubelet.conf) to 600.",
    },
    'kubelet-kubeconfig',
    'permissions',
    modeAtMost('600'),
  ),
  fileCheck(
    FILES,
    {
      id: '4.1.6',
      text: 'Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root (Automated)',
      scored: true,
      remediation: "Make root:root the owner of the kubelet's kubeconfig (/etc/kubernetes/kubelet.conf).",
    },
    'kubelet-kubeconfig',
    'owner',
    ROOT_OWNED,
  ),
  fileCheck(
    FILES,
    {
      id: '4.1.7',
      text: 'Ensure that the certificate authorities file permissions are set to 600 or more restrictive (Manual)',
      scored: false,
      remediation:
        "Set the mode of the kubelet's client CA file (--client-ca-file or authentication.x509.clientCAFile) to 600.",
    },
    'kubelet-client-ca',
    'permissions',
    modeAtMost('600'),
  ),
  fileCheck(
    FILES,
    {
      id: '4.1.8',
      text: 'Ensure that the client certificate authorities file ownership is set to root:root (Manual)',
      scored: false,
      remediation: "Make root:root the owner of the kubelet's client CA file.",
    },
    'kubelet-client-ca',
    'owner',
    all(compare('root:root', 'eq', 'root:root')),
  ),
  fileCheck(
    FILES,
    {
      id: '4.1.9',
      text: 'If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive (Automated)',
      scored: true,
      remediation:
        'Set the mode of the kubelet config file (the --config file, /var/lib/kubelet/config.yaml on kubeadm) to 600.',
    },
    'kubelet-config',
    'permissions',
    modeAtMost('600'),
  ),
  fileCheck(
    FILES,
    {
      id: '4.1.10',
      text: 'If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root (Automated)',
      scored: true,
      remediation: 'Make root:root the owner of the kubelet config file.',
    },
    'kubelet-config',
    'owner',
    ROOT_OWNED,
  ),

  flagCheck(
    KUBELET,
    {
      id: '4.2.1',
      text: 'Ensure that the --anonymous-auth argument is set to false (Automated)',
      scored: true,
      remediation: kubelet('set `authentication.anonymous.enabled: false`', 'pass `--anonymous-auth=false`'),
    },
    'kubelet',
    all(compare('--anonymous-auth', 'eq', 'false', { path: '{.authentication.anonymous.enabled}' })),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.2',
      text: 'Ensure that the --authorization-mode argument is not set to AlwaysAllow (Automated)',
      scored: true,
      remediation: kubelet('set `authorization.mode: Webhook`', 'pass `--authorization-mode=Webhook`'),
    },
    'kubelet',
    all(compare('--authorization-mode', 'nothave', 'AlwaysAllow', { path: '{.authorization.mode}' })),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.3',
      text: 'Ensure that the --client-ca-file argument is set as appropriate (Automated)',
      scored: true,
      remediation: kubelet(
        'set `authentication.x509.clientCAFile` to the cluster CA',
        'pass `--client-ca-file`',
      ),
    },
    'kubelet',
    all(present('--client-ca-file', { path: '{.authentication.x509.clientCAFile}' })),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.4',
      text: 'Verify that the --read-only-port argument is set to 0 (Manual)',
      scored: false,
      remediation: kubelet('set `readOnlyPort: 0`', 'pass `--read-only-port=0`'),
    },
    'kubelet',
    or(
      compare('--read-only-port', 'eq', '0', { path: '{.readOnlyPort}' }),
      absent('--read-only-port', { path: '{.readOnlyPort}' }),
    ),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.5',
      text: 'Ensure that the --streaming-connection-idle-timeout argument is not set to 0 (Manual)',
      scored: false,
      remediation: kubelet(
        'set `streamingConnectionIdleTimeout` to a non-zero duration such as 5m',
        'pass `--streaming-connection-idle-timeout=5m`',
      ),
    },
    'kubelet',
    or(
      compare('--streaming-connection-idle-timeout', 'noteq', '0', {
        path: '{.streamingConnectionIdleTimeout}',
      }),
      absent('--streaming-connection-idle-timeout', { path: '{.streamingConnectionIdleTimeout}' }),
    ),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.6',
      text: 'Ensure that the --make-iptables-util-chains argument is set to true (Automated)',
      scored: true,
      remediation: kubelet(
        'set `makeIPTablesUtilChains: true` (or remove it)',
        'remove `--make-iptables-util-chains`',
      ),
    },
    'kubelet',
    or(
      compare('--make-iptables-util-chains', 'eq', 'true', { path: '{.makeIPTablesUtilChains}' }),
      absent('--make-iptables-util-chains', { path: '{.makeIPTablesUtilChains}' }),
    ),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.7',
      text: 'Ensure that the --hostname-override argument is not set (Manual)',
      scored: false,
      remediation:
        'Remove `--hostname-override` from the kubelet flags (systemd drop-in, /var/lib/kubelet/kubeadm-flags.env or /etc/default/kubelet) and restart the kubelet.',
    },
    'kubelet',
    all(absent('--hostname-override')),
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.8',
      text: 'Ensure that the eventRecordQPS argument is set to a level which ensures appropriate event capture (Manual)',
      scored: false,
      remediation: kubelet(
        'set `eventRecordQPS` to a level that captures the events you need',
        'pass `--event-qps`',
      ),
    },
    'kubelet',
    or(
      compare('--event-qps', 'gte', '0', { path: '{.eventRecordQPS}' }),
      absent('--event-qps', { path: '{.eventRecordQPS}' }),
    ),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.9',
      text: 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate (Manual)',
      scored: false,
      remediation: kubelet(
        'set `tlsCertFile` and `tlsPrivateKeyFile` (or enable serverTLSBootstrap)',
        'pass `--tls-cert-file` and `--tls-private-key-file`',
      ),
    },
    'kubelet',
    all(
      present('--tls-cert-file', { path: '{.tlsCertFile}' }),
      present('--tls-private-key-file', { path: '{.tlsPrivateKeyFile}' }),
    ),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.10',
      text: 'Ensure that the --rotate-certificates argument is not set to false (Automated)',
      scored: true,
      remediation: kubelet(
        'set `rotateCertificates: true` or remove it',
        'remove `--rotate-certificates=false`',
      ),
    },
    'kubelet',
    or(
      compare('--rotate-certificates', 'eq', 'true', { path: '{.rotateCertificates}' }),
      absent('--rotate-certificates', { path: '{.rotateCertificates}' }),
    ),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.11',
      text: 'Verify that the RotateKubeletServerCertificate argument is set to true (Manual)',
      scored: false,
      remediation: kubelet(
        'do not set `featureGates.RotateKubeletServerCertificate: false`',
        'remove RotateKubeletServerCertificate=false from `--feature-gates`',
      ),
    },
    'kubelet',
    or(
      compare('RotateKubeletServerCertificate', 'nothave', 'false', {
        path: '{.featureGates.RotateKubeletServerCertificate}',
      }),
      absent('RotateKubeletServerCertificate', { path: '{.featureGates.RotateKubeletServerCertificate}' }),
    ),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.12',
      text: 'Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers (Manual)',
      scored: false,
      remediation: kubelet(
        'set `tlsCipherSuites` to a subset of the strong suites the benchmark lists',
        'pass `--tls-cipher-suites` with such a subset',
      ),
    },
    'kubelet',
    all(
      compare('--tls-cipher-suites', 'valid_elements', STRONG_KUBELET_CIPHERS, {
        path: "{range .tlsCipherSuites[:]}{}{','}{end}",
      }),
    ),
    { config: true },
  ),
  flagCheck(
    KUBELET,
    {
      id: '4.2.13',
      text: 'Ensure that a limit is set on pod PIDs (Manual)',
      scored: false,
      remediation: kubelet('set `podPidsLimit`', 'pass `--pod-max-pids`'),
    },
    'kubelet',
    all(present('--pod-max-pids', { path: '{.podPidsLimit}' })),
    { config: true },
  ),

  flagCheck(
    PROXY,
    {
      id: '4.3.1',
      text: 'Ensure that the kube-proxy metrics service is bound to localhost (Automated)',
      scored: true,
      remediation:
        "Bind kube-proxy's metrics to localhost: set `metricsBindAddress: 127.0.0.1:10249` in its configuration or remove a non-local `--metrics-bind-address`.",
    },
    'proxy',
    or(
      compare('--metrics-bind-address', 'has', '127.0.0.1', { path: '{.metricsBindAddress}' }),
      absent('--metrics-bind-address', { path: '{.metricsBindAddress}' }),
    ),
    { config: true },
  ),
];
