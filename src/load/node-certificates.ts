/**
 * Finds the certificates a node's control plane uses and reads them: every file named by a
 * component's certificate flags (kube-apiserver `--tls-cert-file`, `--kubelet-client-certificate`,
 * `--etcd-certfile`, `--client-ca-file`…, etcd `--cert-file`…, the kubelet's flags and config
 * file), every kubeconfig the components and kubeadm use (their `client-certificate(-data)` and
 * `certificate-authority(-data)`), and every `*.crt` of the PKI directory. Only `CERTIFICATE`
 * blocks are kept: a file that also holds a private key (the kubelet's rotated
 * `kubelet-client-current.pem`) has its key dropped here, before anything else sees it.
 * Absolute symbolic links are resolved inside the scan root, not on the scanning machine.
 */
import path from 'node:path';
import {
  certificateBlocks,
  COMPONENT_BINARIES,
  type CertificateFacts,
  type ComponentFacts,
  type ComponentName,
  type FileFacts,
} from '../controls/index.js';
import type { SourceLocation } from '../core/index.js';
import { parseManifests } from './manifests.js';
import type { NodeFs } from './node-fs.js';

/** Certificate flags of each component (files holding one or more PEM certificates). */
const CERTIFICATE_FLAGS: Readonly<Record<ComponentName, readonly string[]>> = {
  apiserver: [
    '--tls-cert-file',
    '--client-ca-file',
    '--kubelet-client-certificate',
    '--kubelet-certificate-authority',
    '--etcd-certfile',
    '--etcd-cafile',
    '--proxy-client-cert-file',
    '--requestheader-client-ca-file',
  ],
  controllermanager: [
    '--tls-cert-file',
    '--client-ca-file',
    '--requestheader-client-ca-file',
    '--cluster-signing-cert-file',
    '--root-ca-file',
  ],
  scheduler: ['--tls-cert-file', '--client-ca-file', '--requestheader-client-ca-file'],
  etcd: ['--cert-file', '--peer-cert-file', '--trusted-ca-file', '--peer-trusted-ca-file'],
  kubelet: ['--tls-cert-file', '--client-ca-file'],
  proxy: [],
};

/** Kubeconfig flags of each component. */
const KUBECONFIG_FLAGS: Readonly<Record<ComponentName, readonly string[]>> = {
  apiserver: [],
  controllermanager: ['--kubeconfig', '--authentication-kubeconfig', '--authorization-kubeconfig'],
  scheduler: ['--kubeconfig', '--authentication-kubeconfig', '--authorization-kubeconfig'],
  etcd: [],
  kubelet: ['--kubeconfig'],
  proxy: ['--kubeconfig'],
};

/** A file named somewhere, with who names it and where. */
interface Reference {
  path: string;
  usedBy: string;
  location?: SourceLocation;
}

/** What the certificate reader needs from the node reader. */
export interface CertificateSources {
  fs: NodeFs;
  /** Paths that exist but could not be read, with why. */
  failed: ReadonlyMap<string, string>;
  components: Partial<Record<ComponentName, ComponentFacts>>;
  /** Kubeconfigs of the node layout (admin.conf, scheduler.conf…), read when they exist. */
  layoutKubeconfigs: readonly string[];
  /** The PKI directory's certificate files (`*.crt`). */
  pkiCertificates: readonly FileFacts[];
}

function flagAt(args: readonly string[], flag: string): { value: string; index: number } | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const a = args[i] ?? '';
    if (a.startsWith(`${flag}=`)) return { value: a.slice(flag.length + 1), index: i };
    const next = args[i + 1];
    if (a === flag && next !== undefined && !next.startsWith('-')) return { value: next, index: i };
  }
  return undefined;
}

function configString(
  c: ComponentFacts,
  ...keys: string[]
): { value: string; location?: SourceLocation } | undefined {
  let cur: unknown = c.config?.value;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  if (typeof cur !== 'string' || cur === '' || !c.config) return undefined;
  const key = c.config.keys?.[keys.join('.')];
  return {
    value: cur,
    ...(key ? { location: { file: c.config.path, line: key.line, column: key.column } } : {}),
  };
}

/**
 * Reads a node file, following symbolic links inside the root (at most 8 hops): an absolute
 * link resolves under the scan root, never on the scanning machine.
 */
export async function readInRoot(
  fs: NodeFs,
  failed: ReadonlyMap<string, string>,
  nodePath: string,
): Promise<{ text?: string; error?: string }> {
  let p = path.posix.normalize(nodePath);
  for (let hop = 0; hop < 8; hop++) {
    const s = await fs.lstat(p);
    const failure = failed.get(p);
    if (failure !== undefined) return { error: failure };
    if (!s) return { error: 'file not found on the node' };
    if (s.type !== 'symlink') {
      if (s.type !== 'file') return { error: `not a regular file (${s.type})` };
      const text = await fs.readFile(p);
      const readFailure = failed.get(p);
      if (readFailure !== undefined) return { error: readFailure };
      return text === undefined ? { error: 'file not found on the node' } : { text };
    }
    const target = fs.readlink ? await fs.readlink(p) : undefined;
    if (target === undefined) return { error: 'symbolic link that cannot be followed' };
    p = path.posix.resolve(path.posix.dirname(p), target);
  }
  return { error: 'too many levels of symbolic links' };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads every certificate the node's control plane uses; see the file comment. */
export async function readNodeCertificates(src: CertificateSources): Promise<CertificateFacts[]> {
  const files: Reference[] = [];
  const kubeconfigs: Reference[] = [];
  for (const [name, c] of Object.entries(src.components) as [ComponentName, ComponentFacts][]) {
    const add = (list: Reference[], flags: readonly string[]): void => {
      for (const flag of flags) {
        const f = flagAt(c.args, flag);
        if (!f || f.value === '') continue;
        const location = c.argLocations?.[f.index];
        list.push({
          path: f.value,
          usedBy: `${COMPONENT_BINARIES[name]} ${flag}`,
          ...(location ? { location } : {}),
        });
      }
    };
    add(files, CERTIFICATE_FLAGS[name]);
    add(kubeconfigs, KUBECONFIG_FLAGS[name]);
    if (name === 'kubelet') {
      for (const [keys, label] of [
        [['tlsCertFile'], 'tlsCertFile'],
        [['authentication', 'x509', 'clientCAFile'], 'authentication.x509.clientCAFile'],
      ] as const) {
        const found = configString(c, ...keys);
        if (found && !files.some((f) => f.usedBy.startsWith('kubelet --') && f.path === found.value))
          files.push({
            path: found.value,
            usedBy: `kubelet config ${label}`,
            ...(found.location ? { location: found.location } : {}),
          });
      }
    }
  }
  for (const p of src.layoutKubeconfigs) {
    const s = await src.fs.lstat(p);
    if (s || src.failed.has(p)) kubeconfigs.push({ path: p, usedBy: 'kubeadm layout' });
  }
  for (const f of src.pkiCertificates)
    if (f.type === 'file' || f.type === 'symlink') files.push({ path: f.path, usedBy: 'PKI directory' });

  const out = new Map<string, CertificateFacts & { usedBy: string[] }>();
  const addFact = (key: string, make: () => CertificateFacts, usedBy: string): void => {
    const known = out.get(key);
    if (known) {
      if (!known.usedBy.includes(usedBy)) known.usedBy.push(usedBy);
      return;
    }
    out.set(key, { ...make(), usedBy: [usedBy] });
  };
  const readFileFact = async (ref: Reference): Promise<void> => {
    const key = path.posix.normalize(ref.path);
    if (out.has(key)) {
      addFact(key, () => ({ path: key, usedBy: [] }), ref.usedBy);
      return;
    }
    const read = await readInRoot(src.fs, src.failed, key);
    const base = { path: key, usedBy: [], ...(ref.location ? { location: ref.location } : {}) };
    addFact(
      key,
      () =>
        read.error !== undefined
          ? { ...base, error: read.error }
          : { ...base, pem: certificateBlocks(read.text ?? '').join('\n') },
      ref.usedBy,
    );
  };
  for (const ref of files) await readFileFact(ref);

  const seenKubeconfigs = new Set<string>();
  for (const ref of kubeconfigs) {
    const file = path.posix.normalize(ref.path);
    if (seenKubeconfigs.has(file)) continue;
    seenKubeconfigs.add(file);
    const read = await readInRoot(src.fs, src.failed, file);
    if (read.error !== undefined) {
      addFact(
        file,
        () => ({
          path: file,
          usedBy: [],
          error: `kubeconfig: ${read.error ?? ''}`,
          ...(ref.location ? { location: ref.location } : {}),
        }),
        ref.usedBy,
      );
      continue;
    }
    const parsed = parseManifests(read.text ?? '', file);
    const doc = parsed.resources[0];
    if (!doc || doc.object.kind !== 'Config') {
      addFact(
        file,
        () => ({
          path: file,
          usedBy: [],
          error: 'not a kubeconfig (kind: Config)',
          location: { file, line: 1, column: 1 },
        }),
        ref.usedBy,
      );
      continue;
    }
    const locate = (field: string): SourceLocation => {
      const p = doc.source?.locate(field) ?? { line: 1, column: 1 };
      return { file, line: p.line, column: p.column };
    };
    const entries: { list: string; inner: string; data: string; file: string }[] = [
      { list: 'users', inner: 'user', data: 'client-certificate-data', file: 'client-certificate' },
      {
        list: 'clusters',
        inner: 'cluster',
        data: 'certificate-authority-data',
        file: 'certificate-authority',
      },
    ];
    for (const e of entries) {
      const list = doc.object[e.list];
      if (!Array.isArray(list)) continue;
      for (const [i, item] of list.entries()) {
        const inner = isRecord(item) ? item[e.inner] : undefined;
        if (!isRecord(inner)) continue;
        const who = `${file} ${e.inner} ${isRecord(item) && typeof item['name'] === 'string' ? item['name'] : `#${i}`}`;
        const data = inner[e.data];
        if (typeof data === 'string' && data !== '') {
          const field = `${e.list}[${i}].${e.inner}["${e.data}"]`;
          const decoded = Buffer.from(data, 'base64').toString('utf8');
          addFact(
            `${file} ${field}`,
            () => ({
              path: file,
              field,
              usedBy: [],
              location: locate(field),
              pem: certificateBlocks(decoded).join('\n'),
            }),
            who,
          );
          continue;
        }
        const named = inner[e.file];
        if (typeof named === 'string' && named !== '')
          await readFileFact({
            path: path.posix.resolve(path.posix.dirname(file), named),
            usedBy: who,
            location: locate(`${e.list}[${i}].${e.inner}["${e.file}"]`),
          });
      }
    }
  }
  return [...out.values()].sort((a, b) =>
    a.path === b.path ? (a.field ?? '').localeCompare(b.field ?? '') : a.path.localeCompare(b.path),
  );
}
