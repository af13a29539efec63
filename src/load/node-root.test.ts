import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CIS_1_10,
  argvFlags,
  documentConfig,
  envVars,
  evaluateBenchmark,
  evaluateTests,
  textFlags,
  COMPONENT_BINARIES,
} from '../controls/index.js';
import { localNodeFs, type NodeFs } from './node-fs.js';
import { componentFactsFromPod, readNodeFacts } from './node-root.js';

interface StatOverlay {
  defaults: { file: string; directory: string; owner: string };
  paths: Record<string, { mode?: string; owner?: string }>;
}

const TESTDATA = path.join(import.meta.dirname, 'testdata');

function ids(text: string): Map<string, number> {
  return new Map(
    text
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => {
        const [name = '', , id = '0'] = l.split(':');
        return [name, Number(id)] as const;
      }),
  );
}

/**
 * The fixture tree with the modes and owners of its stat.json: git keeps neither, and tests
 * cannot chown. Names map to ids through the fixture's own /etc/passwd and /etc/group.
 */
export function fixtureFs(name: string): NodeFs {
  const dir = path.join(TESTDATA, name);
  const real = localNodeFs(path.join(dir, 'root'));
  const overlay = JSON.parse(readFileSync(path.join(dir, 'stat.json'), 'utf8')) as StatOverlay;
  const users = ids(readFileSync(path.join(dir, 'root/etc/passwd'), 'utf8'));
  const groups = ids(readFileSync(path.join(dir, 'root/etc/group'), 'utf8'));
  return {
    ...real,
    async lstat(p) {
      const s = await real.lstat(p);
      if (!s) return undefined;
      const o = overlay.paths[p] ?? {};
      const [user = 'root', group = 'root'] = (o.owner ?? overlay.defaults.owner).split(':');
      const mode = o.mode ?? (s.type === 'directory' ? overlay.defaults.directory : overlay.defaults.file);
      return { ...s, mode: parseInt(mode, 8), uid: users.get(user) ?? 0, gid: groups.get(group) ?? 0 };
    },
  };
}

function expectedOf(name: string): Record<string, string> {
  return (
    JSON.parse(readFileSync(path.join(TESTDATA, name, 'expected.json'), 'utf8')) as {
      statuses: Record<string, string>;
    }
  ).statuses;
}

describe.each(['node-hardened', 'node-weak'])('readNodeFacts + CIS 1.10 on %s', (name) => {
  it('gives the expected status for every benchmark id', async () => {
    const facts = await readNodeFacts(fixtureFs(name));
    expect(facts.issues).toEqual([]);
    const result = evaluateBenchmark(CIS_1_10, facts);
    const got = Object.fromEntries(result.results.map((r) => [r.id, r.status]));
    expect(got).toEqual(expectedOf(name));
  });
});

describe.each(['node-hardened', 'node-weak'])(
  'exact argv lookup agrees with kube-bench text matching on %s',
  (name) => {
    it('gives the same result for every flag check', async () => {
      const facts = await readNodeFacts(fixtureFs(name));
      const differing: string[] = [];
      for (const c of CIS_1_10.checks) {
        if (c.audit?.kind !== 'flags' || !c.tests) continue;
        const comp = facts.components[c.audit.component];
        if (!comp) continue;
        // kube-bench sees the process as a ps line: the binary followed by its arguments.
        const psLine = [COMPONENT_BINARIES[c.audit.component], ...comp.args].join(' ');
        const common = {
          env: envVars(comp.env ?? []),
          ...(comp.config?.value !== undefined ? { config: documentConfig(comp.config.value) } : {}),
        };
        const hasConfig = c.audit.config === true && comp.config !== undefined;
        const a = evaluateTests(c.tests, { command: [argvFlags(comp.args)], ...common }, hasConfig);
        const t = evaluateTests(c.tests, { command: [textFlags(psLine)], ...common }, hasConfig);
        if (a.pass !== t.pass || a.expected !== t.expected) differing.push(c.id);
      }
      expect(differing).toEqual([]);
    });
  },
);

describe('readNodeFacts details', () => {
  it('assembles the kubelet command line from its unit, drop-in and kubeadm-flags.env', async () => {
    const facts = await readNodeFacts(fixtureFs('node-weak'));
    const kubelet = facts.components.kubelet;
    expect(kubelet?.source).toBe('/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf');
    expect(kubelet?.args).toEqual([
      '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf',
      '--kubeconfig=/etc/kubernetes/kubelet.conf',
      '--config=/var/lib/kubelet/config.yaml',
      '--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock',
      '--hostname-override=node-a',
      '--pod-infra-container-image=registry.k8s.io/pause:3.9',
    ]);
    expect(kubelet?.argLocations?.[4]).toEqual({
      file: '/var/lib/kubelet/kubeadm-flags.env',
      line: 1,
      column: 1,
    });
    expect(kubelet?.config?.path).toBe('/var/lib/kubelet/config.yaml');
    const r = evaluateBenchmark(CIS_1_10, facts).results.find((x) => x.id === '4.2.10');
    const config = readFileSync(
      path.join(TESTDATA, 'node-weak/root/var/lib/kubelet/config.yaml'),
      'utf8',
    ).split('\n');
    const line = config.findIndex((l) => l.startsWith('rotateCertificates:')) + 1;
    expect(r?.location).toEqual({ file: '/var/lib/kubelet/config.yaml', line, column: 1 });
  });

  it('points a failing API server flag at its line in the manifest', async () => {
    const facts = await readNodeFacts(fixtureFs('node-weak'));
    const r = evaluateBenchmark(CIS_1_10, facts).results.find((x) => x.id === '1.2.6');
    const manifest = readFileSync(
      path.join(TESTDATA, 'node-weak/root/etc/kubernetes/manifests/kube-apiserver.yaml'),
      'utf8',
    ).split('\n');
    const line = manifest.findIndex((l) => l.includes('--authorization-mode=AlwaysAllow')) + 1;
    expect(r?.location).toEqual({ file: '/etc/kubernetes/manifests/kube-apiserver.yaml', line, column: 7 });
    expect(r?.evidence[0]).toMatchObject({ name: '--authorization-mode', value: 'AlwaysAllow', pass: false });
  });

  it('reads file modes and owners through the node passwd and group', async () => {
    const facts = await readNodeFacts(fixtureFs('node-weak'));
    expect(facts.files['etcd-data-dir']).toEqual([
      { path: '/var/lib/etcd', type: 'directory', mode: 0o755, uid: 0, gid: 0, user: 'root', group: 'root' },
    ]);
    expect(
      facts.files['admin-kubeconfigs']?.map((f) => `${f.path} ${f.mode.toString(8)} ${f.user}:${f.group}`),
    ).toEqual(['/etc/kubernetes/admin.conf 644 root:root', '/etc/kubernetes/super-admin.conf 600 root:adm']);
    expect(facts.encryption).toBeUndefined();
    const hardened = await readNodeFacts(fixtureFs('node-hardened'));
    expect(hardened.encryption).toEqual({
      path: '/etc/kubernetes/enc/encryption.yaml',
      providers: ['aescbc'],
    });
  });

  it('reports a broken manifest as an input issue and its checks as errors', async () => {
    const base = fixtureFs('node-hardened');
    const fs: NodeFs = {
      ...base,
      readFile: (p) =>
        p === '/etc/kubernetes/manifests/kube-scheduler.yaml'
          ? Promise.resolve('kind: Pod\n  spec: [')
          : base.readFile(p),
    };
    const facts = await readNodeFacts(fs);
    expect(facts.issues.map((i) => i.file)).toEqual(['/etc/kubernetes/manifests/kube-scheduler.yaml']);
    const r = evaluateBenchmark(CIS_1_10, facts).results.filter((x) => x.id.startsWith('1.4.'));
    expect(r.map((x) => x.status)).toEqual(['error', 'error']);
  });

  it('reads an empty root as a node with nothing on it', async () => {
    const fs = localNodeFs(path.join(TESTDATA, 'does-not-exist'));
    const facts = await readNodeFacts(fs);
    expect(facts.components).toEqual({});
    const summary = evaluateBenchmark(CIS_1_10, facts).summary;
    expect(summary.fail).toBe(0);
  });
});

describe('componentFactsFromPod', () => {
  it('reads a live static pod without positions', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'kube-apiserver-cp1', namespace: 'kube-system' },
      spec: {
        containers: [
          {
            name: 'kube-apiserver',
            command: ['kube-apiserver', '--anonymous-auth=false'],
            args: ['--profiling=false'],
          },
        ],
      },
    };
    const facts = componentFactsFromPod(
      {
        object: pod,
        ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'kube-system', name: 'kube-apiserver-cp1' },
      },
      'kube-apiserver',
    );
    expect(facts).toEqual({
      source: 'Pod kube-system/kube-apiserver-cp1',
      args: ['--anonymous-auth=false', '--profiling=false'],
      env: [],
    });
  });
});

describe('unreadable files', () => {
  it('reports permission errors as input issues and the affected checks as errors', async () => {
    const base = fixtureFs('node-hardened');
    const denied = (p: string): boolean =>
      p === '/etc/kubernetes/manifests/kube-apiserver.yaml' || p === '/var/lib/kubelet/config.yaml';
    const eacces = (): Promise<never> =>
      Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    const fs: NodeFs = {
      ...base,
      readFile: (p) => (denied(p) ? eacces() : base.readFile(p)),
    };
    const facts = await readNodeFacts(fs);
    expect(facts.issues.map((i) => i.file)).toEqual([
      '/etc/kubernetes/manifests/kube-apiserver.yaml',
      '/var/lib/kubelet/config.yaml',
    ]);
    expect(facts.issues[0]?.message).toContain('run as root');
    const results = evaluateBenchmark(CIS_1_10, facts).results;
    const status = (id: string): string | undefined => results.find((r) => r.id === id)?.status;
    expect([status('1.2.1'), status('4.2.1'), status('1.3.2'), status('1.1.1')]).toEqual([
      'error',
      'error',
      'pass',
      'pass',
    ]);
  });
});
