/**
 * `palisade scan DIR --images` against Debian's docker-registry (TLS + htpasswd): a pushed
 * image with a vulnerable package and an imported OSV record, referenced by tag from one
 * workload and by digest from another; an unreachable registry; a garbage reference.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { buildTar, writeOciLayout } from '../src/images/testing.js';
import type { ScanReport } from '../src/report/index.js';
import { openStore } from '../src/store/index.js';
import { affectedRange, osvJson } from '../src/vulndb/testing.js';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { requireHarnessOrSkip, startCluster, type TestCluster } from './harness/index.js';
import { freePort } from './harness/ports.js';
import { requireRegistryOrSkip, startTestRegistry, type TestRegistry } from './harness/registry.js';

const gate = requireRegistryOrSkip();
if (!gate.run) console.log(`images-workloads: skipped: ${gate.reason ?? ''}`);
const clusterGate = requireHarnessOrSkip();

describe.skipIf(!gate.run)('palisade scan --images against a real registry (TLS + htpasswd)', () => {
  let registry: TestRegistry;
  let work: string;
  let env: Record<string, string>;
  let digest: string;
  let closedPort: number;

  beforeAll(async () => {
    registry = await startTestRegistry();
    work = mkdtempSync(path.join(tmpdir(), 'palisade-images-workloads-'));
    const layer = await buildTar([
      { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' },
      { name: 'lib/apk/db/installed', data: 'P:musl\nV:1.2.4-r2\nA:x86_64\n' },
    ]);
    const layout = await writeOciLayout(path.join(work, 'layout'), [{ layers: [layer] }], { tag: 't' });
    digest = layout.digest;
    await registry.push(`${path.join(work, 'layout')}:t`, 'shop/app:v1');

    writeFileSync(
      path.join(work, 'musl.json'),
      JSON.stringify(
        osvJson({
          id: 'ALPINE-CVE-2099-0001',
          aliases: ['CVE-2099-0001'],
          summary: 'musl: test vulnerability',
          severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
          affected: [affectedRange('Alpine:v3.19', 'musl', [{ introduced: '0' }, { fixed: '1.2.4-r3' }])],
        }),
      ),
    );
    expect(
      await main(
        ['db', 'import', 'musl.json', '--vuln-db', 'vulndb.sqlite', '-q'],
        memoryIO({ cwd: work, env: { HOME: work } }),
      ),
    ).toBe(0);

    const docker = path.join(work, 'docker');
    mkdirSync(docker);
    writeFileSync(
      path.join(docker, 'config.json'),
      JSON.stringify({
        auths: {
          [registry.host]: {
            auth: Buffer.from(`${registry.username}:${registry.password}`).toString('base64'),
          },
        },
      }),
    );
    writeFileSync(path.join(work, 'ca.pem'), registry.caPem);
    env = { HOME: work, DOCKER_CONFIG: docker };

    mkdirSync(path.join(work, 'deploy'));
    writeFileSync(
      path.join(work, 'deploy', 'app.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web, namespace: shop}',
        'spec:',
        '  selector: {matchLabels: {app: web}}',
        '  template:',
        '    metadata: {labels: {app: web}}',
        '    spec:',
        '      containers:',
        '        - name: web',
        `          image: ${registry.host}/shop/app:v1`,
        '---',
        'apiVersion: batch/v1',
        'kind: CronJob',
        'metadata: {name: nightly, namespace: shop}',
        'spec:',
        '  schedule: "0 3 * * *"',
        '  jobTemplate:',
        '    spec:',
        '      template:',
        '        spec:',
        '          restartPolicy: Never',
        '          initContainers:',
        '            - name: migrate',
        `              image: ${registry.host}/shop/app@${digest}`,
        '          containers:',
        '            - name: job',
        `              image: ${registry.host}/shop/app:v1`,
        '',
      ].join('\n'),
    );
    closedPort = await freePort();
    mkdirSync(path.join(work, 'broken'));
    writeFileSync(
      path.join(work, 'broken', 'pods.yaml'),
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: gone, namespace: shop}',
        'spec:',
        '  containers:',
        '    - name: c',
        `      image: 127.0.0.1:${closedPort}/shop/gone:1`,
        '    - name: garbage',
        '      image: "NOT A REFERENCE"',
        '    - name: same-host',
        `      image: 127.0.0.1:${closedPort}/shop/gone@sha256:${'1'.repeat(64)}`,
        '',
      ].join('\n'),
    );
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  async function scan(args: string[]) {
    const io = memoryIO({ cwd: work, env });
    const code = await main(
      [
        'scan',
        ...args,
        '--images',
        '--vuln-db',
        'vulndb.sqlite',
        '--registry-ca',
        'ca.pem',
        '--cache-dir',
        'cache',
        '--framework',
        'none',
        '-q',
      ],
      io,
    );
    return { code, out: io.out(), err: io.err() };
  }

  it('a tag and a digest of one image: scanned once, findings on every container that runs it with file:line, exit 1 at --fail-on high', async () => {
    const r = await scan(['deploy', '-o', 'json', '--fail-on', 'high']);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as ScanReport;
    expect(report.images).toEqual({
      containers: 3,
      references: 2,
      digests: 1,
      scanned: 1,
      vulnerabilities: 1,
      severity: 'info',
      notScanned: [],
    });
    const found = report.findings
      .filter((f) => f.controlId === 'image/vulnerabilities')
      .map((f) => [
        f.resource.kind,
        f.severity,
        f.location?.file,
        f.location?.line,
        f.location?.column,
        f.fieldPath,
      ]);
    expect(found.sort()).toEqual(
      [
        [
          'CronJob',
          'critical',
          'deploy/app.yaml',
          25,
          15,
          'spec.jobTemplate.spec.template.spec.initContainers[0].image',
        ],
        [
          'CronJob',
          'critical',
          'deploy/app.yaml',
          28,
          15,
          'spec.jobTemplate.spec.template.spec.containers[0].image',
        ],
        ['Deployment', 'critical', 'deploy/app.yaml', 11, 11, 'spec.template.spec.containers[0].image'],
      ].sort(),
    );
    const message = report.findings.find((f) => f.resource.kind === 'Deployment')?.message ?? '';
    expect(message).toContain('CVE-2099-0001 in musl 1.2.4-r2 (fixed in 1.2.4-r3)');
    expect(message).toContain(digest);
  });

  it('the findings reach SARIF with their rule and region, and --severity filters what counts', async () => {
    const sarif = await scan(['deploy', '-o', 'sarif', '--fail-on', 'none']);
    expect(sarif.code).toBe(0);
    const doc = JSON.parse(sarif.out) as {
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[];
      }[];
    };
    const run = doc.runs[0];
    expect(run?.tool.driver.rules.map((x) => x.id)).toContain('image/vulnerabilities');
    expect(
      run?.results
        .filter((x) => x.ruleId === 'image/vulnerabilities')
        .map((x) => x.locations[0]?.physicalLocation.region.startLine)
        .sort(),
    ).toEqual([11, 25, 28]);
    // The image's one vulnerability is critical: still counted at the highest threshold.
    const critical = await scan(['deploy', '-o', 'json', '--severity', 'critical', '--fail-on', 'critical']);
    expect(critical.code).toBe(1);
  });

  it('an unreachable registry and a garbage reference are image/not-scanned findings and in the summary, never a pass', async () => {
    const r = await scan(['broken', '-o', 'json', '--fail-on', 'high', '--unscanned-severity', 'high']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as ScanReport;
    const notScanned = report.findings.filter((f) => f.controlId === 'image/not-scanned');
    expect(notScanned.map((f) => [f.severity, f.location?.line]).sort()).toEqual([
      ['high', 11],
      ['high', 7],
      ['high', 9],
    ]);
    expect(report.images?.scanned).toBe(0);
    expect(report.images?.notScanned.map((n) => n.image).sort()).toEqual(
      [
        'NOT A REFERENCE',
        `127.0.0.1:${closedPort}/shop/gone:1`,
        `127.0.0.1:${closedPort}/shop/gone@sha256:${'1'.repeat(64)}`,
      ].sort(),
    );
    // A host that refused once is not asked again in the same scan.
    expect(report.images?.notScanned.find((n) => n.image.includes('@'))?.reason).toMatch(
      /^not tried: registry 127\.0\.0\.1:\d+: .*ECONNREFUSED.*\(earlier in this scan\)$/,
    );
    expect(report.images?.notScanned.find((n) => n.image === 'NOT A REFERENCE')?.reason).toMatch(/invalid/);
    const table = await scan(['broken', '--fail-on', 'none']);
    expect(table.code).toBe(0);
    expect(table.out).toContain(`not scanned: 127.0.0.1:${closedPort}/shop/gone:1`);
    expect(table.out).toMatch(/Summary: .*0 images scanned, 3 not scanned/);
  });

  it('5,000 containers naming one image: one digest pulled, 5,000 findings', async () => {
    mkdirSync(path.join(work, 'many'), { recursive: true });
    const pods = Array.from(
      { length: 5000 },
      (_, i) =>
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, namespace: shop}\nspec: {containers: [{name: c, image: "${registry.host}/shop/app:v1"}]}\n`,
    );
    writeFileSync(path.join(work, 'many', 'pods.yaml'), pods.join('---\n'));
    const r = await scan(['many', '-o', 'json', '--fail-on', 'none']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as ScanReport;
    expect(report.images).toMatchObject({ containers: 5000, references: 1, digests: 1, scanned: 1 });
    expect(report.findings.filter((f) => f.controlId === 'image/vulnerabilities')).toHaveLength(5000);
  });

  it('a registry that accepts connections and never answers: not-scanned within --registry-timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      mkdirSync(path.join(work, 'silent'), { recursive: true });
      writeFileSync(
        path.join(work, 'silent', 'pod.yaml'),
        `apiVersion: v1\nkind: Pod\nmetadata: {name: s, namespace: shop}\nspec: {containers: [{name: c, image: "127.0.0.1:${port}/shop/silent:1"}]}\n`,
      );
      const r = await scan(['silent', '-o', 'json', '--fail-on', 'none', '--registry-timeout', '1s']);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.out) as ScanReport;
      expect(report.findings.map((f) => f.controlId)).toEqual(['image/not-scanned']);
      expect(report.images?.notScanned[0]?.reason).toMatch(/timed out/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) =>
        silent.close(() => {
          resolve();
        }),
      );
    }
  });

  it('on a terminal, progress names the image and the layer being read; -q and pipes stay silent', async () => {
    const io = memoryIO({ cwd: work, env });
    let progress = '';
    io.stderr = {
      write: (t: string) => {
        progress += t;
      },
      isTTY: true,
    };
    const args = [
      'scan',
      'deploy',
      '--images',
      '--vuln-db',
      'vulndb.sqlite',
      '--registry-ca',
      'ca.pem',
      '--cache-dir',
      'cache-progress',
      '--framework',
      'none',
      '-o',
      'json',
      '--fail-on',
      'none',
    ];
    expect(await main(args, io)).toBe(0);
    expect(progress).toContain('Scanning images 0/1: ');
    expect(progress).toContain(`Scanning images 0/1: ${registry.host}/shop/app@${digest} layer 1/1 `);
    expect(progress).toContain('Scanning images 1/1: ');
    const quiet = memoryIO({ cwd: work, env });
    let quietErr = '';
    quiet.stderr = {
      write: (t: string) => {
        quietErr += t;
      },
      isTTY: true,
    };
    expect(await main([...args, '-q'], quiet)).toBe(0);
    expect(quietErr).toBe('');
  });

  it('wrong credentials are a not-scanned finding naming the refusal, without the password', async () => {
    const docker = path.join(work, 'docker-wrong');
    mkdirSync(docker, { recursive: true });
    writeFileSync(
      path.join(docker, 'config.json'),
      JSON.stringify({
        auths: {
          [registry.host]: { auth: Buffer.from(`${registry.username}:wrong-pw-xyz`).toString('base64') },
        },
      }),
    );
    const io = memoryIO({ cwd: work, env: { HOME: work, DOCKER_CONFIG: docker } });
    const code = await main(
      [
        'scan',
        'deploy',
        '--images',
        '--vuln-db',
        'vulndb.sqlite',
        '--registry-ca',
        'ca.pem',
        '--cache-dir',
        'cache-2',
        '--framework',
        'none',
        '-q',
        '-o',
        'json',
      ],
      io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(io.out()) as ScanReport;
    expect(report.findings.map((f) => f.controlId)).toEqual([
      'image/not-scanned',
      'image/not-scanned',
      'image/not-scanned',
    ]);
    expect(report.images?.notScanned.map((n) => n.reason).join(' ')).toMatch(/refused/);
    expect(io.out()).not.toContain('wrong-pw-xyz');
  });

  describe('--username and --password-stdin for the --auth-registry host', () => {
    /** A scan with no docker config: the flags are the only credentials there are. */
    async function login(args: string[], stdin: string, cache: string) {
      const empty = path.join(work, 'docker-empty');
      mkdirSync(empty, { recursive: true });
      const io = memoryIO({ cwd: work, env: { HOME: work, DOCKER_CONFIG: empty }, stdin });
      const code = await main(
        [
          'scan',
          ...args,
          '--images',
          '--vuln-db',
          'vulndb.sqlite',
          '--registry-ca',
          'ca.pem',
          '--cache-dir',
          cache,
          '--framework',
          'none',
          '-q',
        ],
        io,
      );
      return { code, out: io.out(), err: io.err() };
    }

    it('pulls with the credentials read from standard input', async () => {
      const r = await login(
        [
          'deploy',
          '-o',
          'json',
          '--auth-registry',
          registry.host,
          '--username',
          registry.username,
          '--password-stdin',
        ],
        `${registry.password}\n`,
        'cache-login-1',
      );
      expect(r.err).toBe('');
      // Exit 1: the image's critical vulnerability is at or above the default --fail-on.
      expect(r.code).toBe(1);
      const report = JSON.parse(r.out) as ScanReport;
      expect(report.images).toMatchObject({ scanned: 1, vulnerabilities: 1, notScanned: [] });
      expect(r.out).not.toContain(registry.password);
    });

    it('without them the same scan cannot pull (the flags are what made it work)', async () => {
      const r = await login(['deploy', '-o', 'json'], '', 'cache-login-2');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.out) as ScanReport;
      expect(report.images?.scanned).toBe(0);
      expect(report.images?.notScanned.length).toBeGreaterThan(0);
    });

    it('a wrong password is a not-scanned finding naming the refusal, never the password', async () => {
      const r = await login(
        [
          'deploy',
          '-o',
          'json',
          '--auth-registry',
          registry.host,
          '--username',
          registry.username,
          '--password-stdin',
        ],
        'wrong-pw-stdin-42\n',
        'cache-login-3',
      );
      expect(r.code).toBe(0);
      const report = JSON.parse(r.out) as ScanReport;
      expect(report.images?.scanned).toBe(0);
      expect(report.images?.notScanned.map((n) => n.reason).join(' ')).toMatch(/refused/);
      expect(`${r.out}${r.err}`).not.toContain('wrong-pw-stdin-42');
    });

    it('sends them to the named registry only', async () => {
      // The credentials are right, but for another host: this registry never receives them.
      const r = await login(
        [
          'deploy',
          '-o',
          'json',
          '--auth-registry',
          'registry.example.com',
          '--username',
          registry.username,
          '--password-stdin',
        ],
        `${registry.password}\n`,
        'cache-login-4',
      );
      expect(r.code).toBe(0);
      const report = JSON.parse(r.out) as ScanReport;
      expect(report.images?.scanned).toBe(0);
      expect(report.images?.notScanned.map((n) => n.reason).join(' ')).toMatch(/refused|requires/);
    });

    it.each([
      [['--username', 'u', '--password-stdin'], /--username with --images needs --auth-registry HOST/],
      [['--auth-registry', 'r.example.com'], /--auth-registry needs --username and --password-stdin/],
      [['--auth-registry', 'r.example.com', '--username', 'u'], /--username needs --password-stdin/],
      [['--auth-registry', 'r.example.com', '--password-stdin'], /--auth-registry needs --username/],
      [
        ['--auth-registry', 'not a host', '--username', 'u', '--password-stdin'],
        /--auth-registry "not a host": expected a registry host/,
      ],
    ])('%j is a usage error (exit 2)', async (flags, message) => {
      const r = await login(['deploy', ...flags], 'secret-never-shown\n', 'cache-login-5');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toContain('secret-never-shown');
    });

    it('an empty standard input and a - path are usage errors', async () => {
      const base = ['--auth-registry', registry.host, '--username', 'u', '--password-stdin'];
      const empty = await login(['deploy', ...base], '', 'cache-login-5');
      expect([empty.code, empty.err]).toEqual([2, expect.stringMatching(/standard input is empty/)]);
      const dash = await login(['-', ...base], 'pw\n', 'cache-login-5');
      expect([dash.code, dash.err]).toEqual([
        2,
        expect.stringMatching(/--password-stdin and - both read standard input/),
      ]);
    });
  });

  it('with --db, each scanned image is recorded with the id of its scan', async () => {
    const r = await scan(['deploy', '-o', 'json', '--fail-on', 'none', '--db', 'history.sqlite']);
    expect(r.code).toBe(0);
    const store = await openStore({ kind: 'sqlite', file: path.join(work, 'history.sqlite') });
    try {
      const row = await store.latestImageResult(digest);
      expect(row).toMatchObject({ digest, ref: `${registry.host}/shop/app@${digest}`, packages: 1 });
      expect(row?.bySeverity.critical).toBe(1);
    } finally {
      await store.close();
    }
    const db = new Database(path.join(work, 'history.sqlite'), { readonly: true });
    try {
      const rows = db
        .prepare(
          'SELECT r.scan_id AS scanId, s.id AS id FROM image_results r JOIN scans s ON s.id = r.scan_id',
        )
        .all() as { scanId: number; id: number }[];
      expect(rows).toHaveLength(1);
      expect(rows[0]?.scanId).toBe(rows[0]?.id);
    } finally {
      db.close();
    }
  });

  describe.skipIf(!clusterGate.run)('scan --cluster --images against a real kube-apiserver', () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await startCluster();
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.admin.kubeconfig);
      const admin = KubernetesObjectApi.makeApiClient(kc);
      const create = (o: object) => admin.create(o);
      for (const ns of ['shop', 'pay'])
        await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      for (const [ns, name, image] of [
        ['shop', 'by-tag', `${registry.host}/shop/app:v1`],
        ['shop', 'by-digest', `${registry.host}/shop/app@${digest}`],
        ['pay', 'elsewhere', `${registry.host}/shop/app:v1`],
      ] as const)
        await create({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: ns },
          spec: { containers: [{ name: 'app', image }] },
        });
    }, 180_000);

    afterAll(async () => {
      await cluster?.stop();
    });

    it('-n shop: the pods of shop get the image finding at their field path, the image is scanned once', async () => {
      const r = await scan([
        '--cluster',
        '--kubeconfig',
        cluster.admin.kubeconfig,
        '-n',
        'shop',
        '-o',
        'json',
        '--fail-on',
        'critical',
      ]);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.out) as ScanReport;
      expect(
        report.findings
          .filter((f) => f.controlId === 'image/vulnerabilities')
          .map((f) => [f.resource.namespace, f.resource.name, f.fieldPath, f.severity])
          .sort(),
      ).toEqual([
        ['shop', 'by-digest', 'spec.containers[0].image', 'critical'],
        ['shop', 'by-tag', 'spec.containers[0].image', 'critical'],
      ]);
      expect(report.images).toMatchObject({ containers: 2, references: 2, digests: 1, scanned: 1 });
    });
  });

  it('a missing vulnerability database is a usage error (exit 2) before anything is pulled', async () => {
    const io = memoryIO({ cwd: work, env });
    const code = await main(['scan', 'deploy', '--images', '--vuln-db', 'none.sqlite', '-q'], io);
    expect(code).toBe(2);
    expect(io.err()).toMatch(
      /^palisade: no vulnerability database at .*none\.sqlite; import OSV records first/,
    );
  });
});
