/**
 * What an adapter read about one node (or a live cluster), as plain data: each component's
 * command line with the position of every argument, its environment and config file, and the
 * mode and owner of the files the benchmark inspects. Evaluation reads only this.
 */
import type { InputIssue, SourceLocation } from '../../core/index.js';
import type { ConfigValue } from './config-value.js';
import type { ComponentName, FileSetName } from './types.js';

/** A component's configuration as found. */
export interface ComponentFacts {
  /** Where the command line was read: a manifest, a systemd unit, a live pod, a harness. */
  source: string;
  /** Arguments after the binary, in order. */
  args: readonly string[];
  /** Position of each argument in `source` when known (same index as `args`). */
  argLocations?: readonly (SourceLocation | undefined)[];
  /** Position of the command line itself, where an absent flag would be added. */
  location?: SourceLocation;
  /** Environment variables of the process (static pod `env`, systemd `Environment=`). */
  env?: readonly { name: string; value: string }[];
  /** Why the command line could not be read (e.g. a broken manifest); its checks are errors. */
  error?: string;
  /** The component's config file (kubelet `--config`), decoded or with the reason it is not. */
  config?: {
    path: string;
    value?: ConfigValue;
    error?: string;
    /** Position of each mapping key, by dotted path (`authentication.anonymous.enabled`). */
    keys?: Readonly<Record<string, { line: number; column: number }>>;
  };
}

/** Mode and owner of one file, as lstat reports them, with owner names resolved on the node. */
export interface FileFacts {
  /** Absolute path on the node (without the scan root). */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits including setuid, setgid and sticky (`mode & 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** User and group names, `UNKNOWN` when the node's passwd/group has no entry (as stat prints). */
  user: string;
  group: string;
}

/** The first provider of each resource of an EncryptionConfiguration. */
export interface EncryptionFacts {
  path: string;
  providers?: readonly string[];
  error?: string;
}

/**
 * A certificate file (or a kubeconfig's embedded certificate) the control plane uses, with
 * every place that names it. `pem` holds only the `CERTIFICATE` blocks of what was read: an
 * adapter drops private-key blocks before the facts are built, so no key material reaches
 * evaluation, reports or messages.
 */
export interface CertificateFacts {
  /** Node path of the file; for embedded data, the kubeconfig's path. */
  path: string;
  /** The kubeconfig field the certificate is embedded in (`users[0].user.client-certificate-data`). */
  field?: string;
  /** What names it: `kube-apiserver --tls-cert-file`, `/etc/kubernetes/admin.conf user kubernetes-admin`, `PKI directory`. */
  usedBy: readonly string[];
  /** Where the reference is written (the flag's manifest line, the kubeconfig field). */
  location?: SourceLocation;
  /** The certificate blocks of the file, PEM; absent when `error` says why it could not be read. */
  pem?: string;
  error?: string;
}

/**
 * The API server's structured authentication configuration, the file its
 * `--authentication-config` flag names, decoded or with the reason it is not.
 */
export interface AuthenticationConfigFacts {
  path: string;
  value?: ConfigValue;
  error?: string;
  /** Position of each key, by dotted path with list indexes (`anonymous.conditions[0].path`). */
  keys?: Readonly<Record<string, { line: number; column: number }>>;
}

/** Everything known about a node. Missing keys mean "not found on this node". */
export interface NodeFacts {
  components: Partial<Record<ComponentName, ComponentFacts>>;
  /** Existing files of each set; an empty list means none exist. */
  files: Partial<Record<FileSetName, readonly FileFacts[]>>;
  encryption?: EncryptionFacts;
  /**
   * The file kube-apiserver's `--authentication-config` names; absent when the flag is not set
   * or the file was not looked at (live facts: a cluster scan cannot see the node's files).
   */
  authenticationConfig?: AuthenticationConfigFacts;
  /** Certificates the components name and the PKI directory holds; absent when not read (live facts). */
  certificates?: readonly CertificateFacts[];
  /** Problems met while reading (unreadable or broken files), reported and skipped. */
  issues: readonly InputIssue[];
}

/** What each file set is, for messages. */
export const FILE_SET_DESCRIPTIONS: Readonly<Record<FileSetName, string>> = {
  'apiserver-manifest': 'kube-apiserver static pod manifest',
  'controllermanager-manifest': 'kube-controller-manager static pod manifest',
  'scheduler-manifest': 'kube-scheduler static pod manifest',
  'etcd-manifest': 'etcd static pod manifest',
  'cni-files': 'CNI configuration file',
  'etcd-data-dir': 'etcd data directory',
  'admin-kubeconfigs': 'admin.conf or super-admin.conf',
  'scheduler-kubeconfig': 'scheduler kubeconfig (scheduler.conf)',
  'controllermanager-kubeconfig': 'controller-manager kubeconfig (controller-manager.conf)',
  'pki-tree': 'Kubernetes PKI directory',
  'pki-certificates': 'PKI certificate (*.crt)',
  'pki-keys': 'PKI key (*.key)',
  'kubelet-service': 'kubelet systemd unit or drop-in',
  'proxy-kubeconfig': 'kube-proxy kubeconfig',
  'kubelet-kubeconfig': 'kubelet kubeconfig',
  'kubelet-client-ca': 'kubelet client CA file',
  'kubelet-config': 'kubelet config file',
};

/** Human name of a component's binary. */
export const COMPONENT_BINARIES: Readonly<Record<ComponentName, string>> = {
  apiserver: 'kube-apiserver',
  controllermanager: 'kube-controller-manager',
  scheduler: 'kube-scheduler',
  etcd: 'etcd',
  kubelet: 'kubelet',
  proxy: 'kube-proxy',
};
