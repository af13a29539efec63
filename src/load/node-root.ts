/**
 * Reads what the CIS benchmark looks at from a node's filesystem: the kubeadm static pod
 * manifests (each component's `command` and `args`, with the line of every flag), the kubelet's
 * systemd unit, flags and config file, the EncryptionConfiguration, and the mode and owner of
 * the benchmark's files, with owner names taken from the node's own /etc/passwd and /etc/group.
 * Broken files become input issues with their line; the rest of the node is still read.
 */
import { load } from 'js-yaml';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import {
  decodeConfig,
  type AuthenticationConfigFacts,
  type ComponentFacts,
  type ComponentName,
  type ConfigValue,
  type EncryptionFacts,
  type FileFacts,
  type FileSetName,
  type NodeFacts,
} from '../controls/index.js';
import {
  podTemplateOf,
  trimEndChars,
  type InputIssue,
  type Resource,
  type SourceLocation,
} from '../core/index.js';
import { parseManifests } from './manifests.js';
import { LineIndex } from './yaml-documents.js';
import type { NodeFs, NodeStat } from './node-fs.js';
import { readInRoot, readNodeCertificates } from './node-certificates.js';
import { readUnitCommand } from './node-systemd.js';

/** Where a kubeadm node keeps things; every path can be overridden for other layouts. */
export interface NodeLayout {
  manifestsDir: string;
  kubeletConfig: string;
  kubeletKubeconfig: string;
  kubeletCaFiles: readonly string[];
  kubeletServiceFiles: readonly string[];
  proxyKubeconfigs: readonly string[];
  adminKubeconfigs: readonly string[];
  schedulerKubeconfigs: readonly string[];
  controllerManagerKubeconfigs: readonly string[];
  pkiDir: string;
  etcdDataDirs: readonly string[];
  cniConfDir: string;
  cniNetworksDir: string;
}

/** The kubeadm layout, with the alternatives kube-bench's cis-1.10 configuration also looks at. */
export const KUBEADM_LAYOUT: NodeLayout = {
  manifestsDir: '/etc/kubernetes/manifests',
  kubeletConfig: '/var/lib/kubelet/config.yaml',
  kubeletKubeconfig: '/etc/kubernetes/kubelet.conf',
  kubeletCaFiles: [
    '/etc/kubernetes/pki/ca.crt',
    '/etc/kubernetes/certs/ca.crt',
    '/etc/kubernetes/cert/ca.pem',
  ],
  kubeletServiceFiles: [
    '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf',
    '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf',
    '/etc/systemd/system/kubelet.service',
    '/lib/systemd/system/kubelet.service',
    '/usr/lib/systemd/system/kubelet.service',
  ],
  proxyKubeconfigs: [
    '/etc/kubernetes/proxy.conf',
    '/var/lib/kube-proxy/kubeconfig',
    '/etc/kubernetes/kubelet-kubeconfig',
  ],
  adminKubeconfigs: ['/etc/kubernetes/admin.conf', '/etc/kubernetes/super-admin.conf'],
  schedulerKubeconfigs: ['/etc/kubernetes/scheduler.conf', '/var/lib/kube-scheduler/kubeconfig'],
  controllerManagerKubeconfigs: [
    '/etc/kubernetes/controller-manager.conf',
    '/var/lib/kube-controller-manager/kubeconfig',
  ],
  pkiDir: '/etc/kubernetes/pki',
  etcdDataDirs: ['/var/lib/etcd/default.etcd', '/var/lib/etcd/data.etcd'],
  cniConfDir: '/etc/cni/net.d',
  cniNetworksDir: '/var/lib/cni/networks',
};

/** Options of readNodeFacts. */
export interface ReadNodeOptions {
  layout?: Partial<NodeLayout>;
}

const STATIC_PODS: readonly {
  component: ComponentName;
  names: readonly string[];
  manifestSet?: FileSetName;
}[] = [
  { component: 'apiserver', names: ['kube-apiserver'], manifestSet: 'apiserver-manifest' },
  {
    component: 'controllermanager',
    names: ['kube-controller-manager'],
    manifestSet: 'controllermanager-manifest',
  },
  { component: 'scheduler', names: ['kube-scheduler'], manifestSet: 'scheduler-manifest' },
  { component: 'etcd', names: ['etcd'], manifestSet: 'etcd-manifest' },
  { component: 'proxy', names: ['kube-proxy'] },
];

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.manifest'];

function parseIds(text: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of (text ?? '').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id) && !out.has(Number(id))) out.set(Number(id), name);
  }
  return out;
}

interface Reader {
  fs: NodeFs;
  /** Paths that exist but could not be read (e.g. EACCES when not run as root), with why. */
  failed: Map<string, string>;
  users: Map<number, string>;
  groups: Map<number, string>;
  issues: InputIssue[];
}

function fileFacts(r: Reader, path: string, s: NodeStat): FileFacts {
  return {
    path,
    type: s.type,
    mode: s.mode,
    uid: s.uid,
    gid: s.gid,
    user: r.users.get(s.uid) ?? 'UNKNOWN',
    group: r.groups.get(s.gid) ?? 'UNKNOWN',
  };
}

async function statFiles(r: Reader, paths: readonly string[]): Promise<FileFacts[]> {
  const out: FileFacts[] = [];
  for (const p of paths) {
    const s = await r.fs.lstat(p);
    if (s) out.push(fileFacts(r, p, s));
  }
  return out;
}

async function firstExisting(r: Reader, paths: readonly string[]): Promise<FileFacts[]> {
  for (const p of paths) {
    const s = await r.fs.lstat(p);
    if (s) return [fileFacts(r, p, s)];
  }
  return [];
}

/** Every path under `dir` (and `dir` itself when `self`), depth first, sorted, not following links. */
async function walk(r: Reader, dir: string, self: boolean): Promise<FileFacts[]> {
  const s = await r.fs.lstat(dir);
  if (!s) return [];
  const out: FileFacts[] = self ? [fileFacts(r, dir, s)] : [];
  if (s.type !== 'directory') return out;
  for (const name of (await r.fs.readdir(dir)) ?? []) out.push(...(await walk(r, `${dir}/${name}`, true)));
  return out;
}

function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

async function readStaticPod(
  r: Reader,
  dir: string,
  names: readonly string[],
): Promise<{ facts: ComponentFacts; file: string } | undefined> {
  for (const name of names) {
    for (const ext of MANIFEST_EXTENSIONS) {
      const file = `${dir}/${name}${ext}`;
      const text = await r.fs.readFile(file);
      const failure = r.failed.get(file);
      if (failure !== undefined)
        return {
          file,
          facts: {
            source: file,
            args: [],
            error: `${file}: ${failure}`,
            location: { file, line: 1, column: 1 },
          },
        };
      if (text === undefined) continue;
      const parsed = parseManifests(text, file);
      r.issues.push(...parsed.issues);
      const pod = parsed.resources.find((res) => res.object.kind === 'Pod');
      if (!pod) {
        const reason = parsed.issues[0]?.message ?? 'no Pod in the manifest';
        return {
          file,
          facts: {
            source: file,
            args: [],
            error: `${file}: ${reason}`,
            location: { file, line: parsed.issues[0]?.line ?? 1, column: 1 },
          },
        };
      }
      return { file, facts: componentFactsFromPod(pod, name, file) };
    }
  }
  return undefined;
}

/**
 * A component's command line from its Pod: the container named `containerName` (else the
 * first), its `command` without the binary followed by its `args`, and its `env` values. The
 * position of every argument is kept when the Pod was read from a file (`file` names it); a
 * Pod from the live cluster (kube-system static pods) has none.
 */
export function componentFactsFromPod(pod: Resource, containerName: string, file?: string): ComponentFacts {
  return (
    commandLineOf(pod, containerName, file)?.facts ?? { source: sourceName(pod, file), args: [], env: [] }
  );
}

function sourceName(r: Resource, file: string | undefined): string {
  return file ?? `${r.ref.kind} ${r.ref.namespace ?? ''}/${r.ref.name}`;
}

/** A container's command line in a pod template, with the field path of each argument. */
export interface CommandLine {
  facts: ComponentFacts;
  /** Field path of each of `facts.args`. */
  argPaths: string[];
  /** Field path of the command line itself. */
  commandPath: string;
  /** The container, as parsed. */
  container: Record<string, unknown>;
  /** Field path of the pod spec (`spec`, `spec.template.spec`). */
  specPath: string;
}

/**
 * The command line of one container of any object with a pod template (a Pod, a DaemonSet):
 * what `componentFactsFromPod` reads, for the template's container.
 */
export function commandLineOf(
  resource: Resource,
  containerName: string,
  file?: string,
): CommandLine | undefined {
  const template = podTemplateOf(resource.object);
  if (!template) return undefined;
  const { specPath } = template;
  const spec = template.spec as { containers?: unknown };
  const containers = Array.isArray(spec.containers) ? (spec.containers as Record<string, unknown>[]) : [];
  let index = containers.findIndex((c) => c.name === containerName);
  if (index < 0) index = 0;
  const c = containers[index] ?? {};
  const command = asStrings(c.command);
  const args = asStrings(c.args);
  const locate = (field: string): SourceLocation | undefined => {
    if (!resource.source || file === undefined) return undefined;
    const p = resource.source.locate(field);
    return { file, line: p.line, column: p.column };
  };
  const at = `${specPath}.containers[${index}]`;
  const all = [
    ...command.map((a, i) => ({ a, path: `${at}.command[${i}]` })),
    ...args.map((a, i) => ({ a, path: `${at}.args[${i}]` })),
  ];
  // The binary is the first word of `command`; everything after it is a flag or its value.
  const flags = command.length > 0 ? all.slice(1) : all;
  const env = Array.isArray(c.env)
    ? (c.env as Record<string, unknown>[]).flatMap((e) =>
        typeof e.name === 'string' && typeof e.value === 'string' ? [{ name: e.name, value: e.value }] : [],
      )
    : [];
  const commandPath = `${at}.${command.length > 0 ? 'command' : 'args'}`;
  const location = locate(commandPath);
  return {
    facts: {
      source: sourceName(resource, file),
      args: flags.map((f) => f.a),
      ...(file !== undefined ? { argLocations: flags.map((f) => locate(f.path)) } : {}),
      ...(location ? { location } : {}),
      env,
    },
    argPaths: flags.map((f) => f.path),
    commandPath,
    container: c,
    specPath,
  };
}

/** The value of the last occurrence of a flag (`--x=v` or `--x v`). */
export function lastFlag(args: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  args.forEach((a, i) => {
    if (a.startsWith(`${flag}=`)) value = a.slice(flag.length + 1);
    else if (a === flag && args[i + 1] !== undefined && !args[i + 1]?.startsWith('-')) value = args[i + 1];
  });
  return value;
}

function getPath(v: ConfigValue | undefined, ...keys: string[]): ConfigValue | undefined {
  let cur: ConfigValue | undefined = v;
  for (const k of keys) {
    if (cur === null || cur === undefined || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, ConfigValue>)[k];
  }
  return cur;
}

/** Larger than any component config file; a bigger file is not decoded. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * A component's config file (symbolic links followed inside the root, regular files only),
 * decoded with the position of every key; undefined when nothing is at the path. A file that
 * cannot be read or decoded carries why, never its content: only the parser's first line.
 */
async function readConfig(r: Reader, path: string): Promise<ComponentFacts['config']> {
  const present = await r.fs.lstat(path);
  const lstatFailure = r.failed.get(path);
  if (lstatFailure !== undefined) return { path, error: lstatFailure };
  if (present === undefined) return undefined;
  const { text, error } = await readInRoot(r.fs, r.failed, path);
  if (text === undefined) {
    const reason = error ?? 'file not found on the node';
    // A read failure is already an input issue (see tolerant); a refusal here becomes one.
    if (![...r.failed.values()].includes(reason)) r.issues.push({ file: path, message: reason });
    return { path, error: reason };
  }
  if (text.length > MAX_CONFIG_BYTES) {
    const reason = `larger than ${MAX_CONFIG_BYTES} bytes, not decoded`;
    r.issues.push({ file: path, message: reason });
    return { path, error: reason };
  }
  const decoded = decodeConfig(trimEndChars(text, ' \n'));
  if (!decoded.ok) {
    // The parser's first line only: its code frame would quote the file's content.
    const reason = firstLine(decoded.error);
    r.issues.push({ file: path, message: `cannot decode the config file: ${reason}` });
    return { path, error: reason };
  }
  return { path, value: decoded.value, keys: keyPositions(text) };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/**
 * Line and column of every mapping key of a YAML (or JSON) text, by dotted path; keys inside
 * lists carry the index (`anonymous.conditions[0].path`).
 */
function keyPositions(text: string): Record<string, { line: number; column: number }> {
  const out: Record<string, { line: number; column: number }> = {};
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false });
  if (doc.errors.length > 0) return out;
  const lines = new LineIndex(text);
  const visit = (node: unknown, prefix: string): void => {
    if (isSeq(node)) {
      node.items.forEach((item, i) => {
        visit(item, `${prefix.slice(0, -1)}[${i}].`);
      });
      return;
    }
    if (!isMap(node)) return;
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const key = `${prefix}${String(pair.key.value)}`;
      const offset = pair.key.range?.[0];
      if (offset !== undefined && !(key in out)) out[key] = lines.position(offset);
      visit(pair.value, `${key}.`);
    }
  };
  visit(doc.contents, '');
  return out;
}

async function readKubelet(r: Reader, layout: NodeLayout): Promise<ComponentFacts | undefined> {
  const unit = await readUnitCommand(r.fs, 'kubelet.service');
  const argv = unit?.argv ?? [];
  const args = argv.slice(1);
  const configPath = lastFlag(args, '--config') ?? layout.kubeletConfig;
  const config = await readConfig(r, configPath);
  if (!unit && !config) return undefined;
  return {
    source: unit?.unitFile ?? configPath,
    args,
    argLocations: unit?.locations.slice(1) ?? [],
    ...(unit ? { location: unit.locations[0] ?? { file: unit.unitFile, line: 1, column: 1 } } : {}),
    env: unit?.env ?? [],
    ...(config ? { config } : {}),
  };
}

async function readEncryption(r: Reader, api: ComponentFacts): Promise<EncryptionFacts | undefined> {
  const file = lastFlag(api.args, '--encryption-provider-config');
  if (file === undefined) return undefined;
  const text = await r.fs.readFile(file);
  const failure = r.failed.get(file);
  if (failure !== undefined) return { path: file, error: failure };
  if (text === undefined) return { path: file, error: 'file not found on the node' };
  let doc: unknown;
  try {
    doc = load(text);
  } catch (e) {
    const message = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
    r.issues.push({ file, message: `invalid YAML: ${message}` });
    return { path: file, error: `invalid YAML: ${message}` };
  }
  const resources = (doc as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(resources)) return { path: file, providers: [] };
  // The first provider of each resource is the one new data is written with.
  const providers = resources.flatMap((res: unknown) => {
    const list = (res as { providers?: unknown } | null)?.providers;
    const first: unknown = Array.isArray(list) ? list[0] : undefined;
    return first && typeof first === 'object' ? Object.keys(first).slice(0, 1) : [];
  });
  return { path: file, providers };
}

/** Larger than any authentication configuration; a bigger file is not decoded. */
const MAX_AUTHENTICATION_CONFIG_BYTES = 1024 * 1024;

/**
 * The file kube-apiserver's `--authentication-config` names (symbolic links followed inside
 * the root), decoded with the position of every key; a file that is missing, unreadable, not
 * a regular file, too large or not YAML carries why.
 */
async function readAuthenticationConfig(
  r: Reader,
  api: ComponentFacts,
): Promise<AuthenticationConfigFacts | undefined> {
  const file = lastFlag(api.args, '--authentication-config');
  if (file === undefined) return undefined;
  const { text, error } = await readInRoot(r.fs, r.failed, file);
  if (text === undefined) return { path: file, error: error ?? 'file not found on the node' };
  if (text.length > MAX_AUTHENTICATION_CONFIG_BYTES)
    return { path: file, error: `larger than ${MAX_AUTHENTICATION_CONFIG_BYTES} bytes, not decoded` };
  const decoded = decodeConfig(trimEndChars(text, ' \n'));
  if (!decoded.ok) {
    // The parser's first line only: its code frame would quote the file's content.
    const reason = firstLine(decoded.error);
    r.issues.push({ file, message: `cannot decode the authentication configuration: ${reason}` });
    return { path: file, error: reason };
  }
  return { path: file, value: decoded.value, keys: keyPositions(text) };
}

/**
 * Wraps a NodeFs so that a path that cannot be read (permission denied, I/O error) is an input
 * issue and reads as absent, instead of stopping the scan.
 */
function tolerant(fs: NodeFs, failed: Map<string, string>, issues: InputIssue[]): NodeFs {
  const guard =
    <T>(op: (p: string) => Promise<T | undefined>) =>
    async (p: string): Promise<T | undefined> => {
      try {
        return await op(p);
      } catch (e) {
        const code = (e as { code?: string }).code;
        const message = `cannot read: ${code ?? (e instanceof Error ? e.message : String(e))}${code === 'EACCES' ? ' (run as root to read the node files)' : ''}`;
        if (!failed.has(p)) {
          failed.set(p, message);
          issues.push({ file: p, message });
        }
        return undefined;
      }
    };
  return {
    root: fs.root,
    readFile: guard((p) => fs.readFile(p)),
    lstat: guard((p) => fs.lstat(p)),
    readdir: guard((p) => fs.readdir(p)),
    ...(fs.readlink ? { readlink: guard((p) => fs.readlink?.(p) ?? Promise.resolve(undefined)) } : {}),
  };
}

/** Reads everything the CIS checks need from a node's filesystem. */
export async function readNodeFacts(rawFs: NodeFs, options: ReadNodeOptions = {}): Promise<NodeFacts> {
  const layout: NodeLayout = { ...KUBEADM_LAYOUT, ...options.layout };
  const failed = new Map<string, string>();
  const issues: InputIssue[] = [];
  const fs = tolerant(rawFs, failed, issues);
  const r: Reader = {
    fs,
    failed,
    users: parseIds(await fs.readFile('/etc/passwd')),
    groups: parseIds(await fs.readFile('/etc/group')),
    issues,
  };
  const components: NodeFacts['components'] = {};
  const files: NodeFacts['files'] = {};

  for (const sp of STATIC_PODS) {
    const found = await readStaticPod(r, layout.manifestsDir, sp.names);
    if (found) {
      components[sp.component] = found.facts;
      if (sp.manifestSet) files[sp.manifestSet] = await statFiles(r, [found.file]);
    } else if (sp.manifestSet) files[sp.manifestSet] = [];
  }

  const kubelet = await readKubelet(r, layout);
  if (kubelet) components.kubelet = kubelet;
  const kubeletArgs = kubelet?.args ?? [];

  const etcdArgs = components.etcd?.args ?? [];
  const dataDir = lastFlag(etcdArgs, '--data-dir');
  const dataDirStat = dataDir !== undefined ? await fs.lstat(dataDir) : undefined;
  files['etcd-data-dir'] =
    dataDir !== undefined && dataDirStat?.type === 'directory'
      ? [fileFacts(r, dataDir, dataDirStat)]
      : await firstExisting(r, layout.etcdDataDirs);

  const cniDirs = [lastFlag(kubeletArgs, '--cni-conf-dir') ?? layout.cniConfDir];
  files['cni-files'] = [
    ...(await Promise.all(cniDirs.map((d) => walk(r, d, false)))).flat(),
    ...(await walk(r, layout.cniNetworksDir, false)).filter((f) => f.type === 'file'),
  ];
  files['admin-kubeconfigs'] = await statFiles(r, layout.adminKubeconfigs);
  files['scheduler-kubeconfig'] = await firstExisting(r, layout.schedulerKubeconfigs);
  files['controllermanager-kubeconfig'] = await firstExisting(r, layout.controllerManagerKubeconfigs);
  const pki = await walk(r, layout.pkiDir, true);
  files['pki-tree'] = pki;
  files['pki-certificates'] = pki.filter((f) => f.path.endsWith('.crt'));
  files['pki-keys'] = pki.filter((f) => f.path.endsWith('.key'));
  files['kubelet-service'] = await firstExisting(r, layout.kubeletServiceFiles);
  files['proxy-kubeconfig'] = await firstExisting(r, [
    ...(components.proxy
      ? [lastFlag(components.proxy.args, '--kubeconfig')].filter((x): x is string => !!x)
      : []),
    ...layout.proxyKubeconfigs,
  ]);
  files['kubelet-kubeconfig'] = await firstExisting(r, [
    lastFlag(kubeletArgs, '--kubeconfig') ?? layout.kubeletKubeconfig,
  ]);
  const configCa = getPath(kubelet?.config?.value, 'authentication', 'x509', 'clientCAFile');
  const caFlag = lastFlag(kubeletArgs, '--client-ca-file');
  files['kubelet-client-ca'] = await firstExisting(r, [
    ...(caFlag !== undefined ? [caFlag] : typeof configCa === 'string' ? [configCa] : []),
    ...layout.kubeletCaFiles,
  ]);
  files['kubelet-config'] = kubelet?.config ? await statFiles(r, [kubelet.config.path]) : [];

  const encryption = components.apiserver ? await readEncryption(r, components.apiserver) : undefined;
  const authenticationConfig = components.apiserver
    ? await readAuthenticationConfig(r, components.apiserver)
    : undefined;
  const certificates = await readNodeCertificates({
    fs,
    failed,
    components,
    layoutKubeconfigs: [
      ...layout.adminKubeconfigs,
      ...layout.schedulerKubeconfigs,
      ...layout.controllerManagerKubeconfigs,
      layout.kubeletKubeconfig,
    ],
    pkiCertificates: files['pki-certificates'],
  });
  return {
    components,
    files,
    ...(encryption ? { encryption } : {}),
    ...(authenticationConfig ? { authenticationConfig } : {}),
    certificates,
    issues: r.issues,
  };
}
