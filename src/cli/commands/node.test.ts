import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CIS_1_10 } from '../../controls/index.js';
import { REPORT_FORMATS } from '../../report/render.js';
import { makeCertificate } from '../../controls/control-plane/testdata/certificates.js';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const TESTDATA = path.resolve(import.meta.dirname, '../../load/testdata');
const isRoot = process.getuid?.() === 0;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-node-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface StatOverlay {
  defaults: { file: string; directory: string; owner: string };
  paths: Record<string, { mode?: string; owner?: string }>;
}

function ids(file: string): Map<string, number> {
  return new Map(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => {
        const [name = '', , id = '0'] = l.split(':');
        return [name, Number(id)] as const;
      }),
  );
}

// The fixtures' certificates are placeholders: each materialized node gets real ones, valid a
// year around the scan date, generated here (the fixtures hold no key material).
const SCAN_DATE = '2026-12-01';
const FRESH = await makeCertificate('kubernetes', '2026-01-01', '2027-12-01');
const b64 = (pem: string): string => Buffer.from(pem).toString('base64');

function installCertificates(dest: string): void {
  const pki = path.join(dest, 'etc/kubernetes/pki');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.crt')) writeFileSync(p, FRESH.cert);
    }
  };
  walk(pki);
  // The hardened kubelet's config names a serving certificate the fixture leaves out.
  mkdirSync(path.join(dest, 'var/lib/kubelet/pki'), { recursive: true });
  writeFileSync(path.join(dest, 'var/lib/kubelet/pki/kubelet.crt'), FRESH.cert);
  const conf = path.join(dest, 'etc/kubernetes');
  for (const name of readdirSync(conf).filter((n) => n.endsWith('.conf'))) {
    const p = path.join(conf, name);
    writeFileSync(
      p,
      readFileSync(p, 'utf8').replace(
        /(client-certificate-data|certificate-authority-data): \S+/g,
        (_m, key: string) => `${key}: ${b64(FRESH.cert)}`,
      ),
    );
  }
}

/** Copies a fixture node and gives its files the modes (and, as root, the owners) of stat.json. */
function materialize(name: string, as = name): string {
  const src = path.join(TESTDATA, name, 'root');
  const dest = path.join(tmp, as);
  cpSync(src, dest, { recursive: true });
  const overlay = JSON.parse(readFileSync(path.join(TESTDATA, name, 'stat.json'), 'utf8')) as StatOverlay;
  const users = ids(path.join(src, 'etc/passwd'));
  const groups = ids(path.join(src, 'etc/group'));
  const apply = (rel: string, isDir: boolean): void => {
    const nodePath = `/${rel}`;
    const o = overlay.paths[nodePath] ?? {};
    const p = path.join(dest, rel);
    chmodSync(p, parseInt(o.mode ?? (isDir ? overlay.defaults.directory : overlay.defaults.file), 8));
    if (isRoot) {
      const [u = 'root', g = 'root'] = (o.owner ?? overlay.defaults.owner).split(':');
      chownSync(p, users.get(u) ?? 0, groups.get(g) ?? 0);
    }
  };
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(dest, rel), { withFileTypes: true })) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      apply(child, e.isDirectory());
    }
  };
  installCertificates(dest);
  walk('');
  return dest;
}

// Checks on owners can only be arranged when the tests run as root (chown).
const OWNER_CHECKS = new Set(
  CIS_1_10.checks
    .filter(
      (c) => c.audit?.kind === 'files' && (c.audit.line === 'owner' || c.audit.line === 'ownership-named'),
    )
    .map((c) => c.id),
);

interface JsonReport {
  kind: string;
  summary: Record<string, number>;
  results: { id: string; status: string; location?: { file: string; line: number } }[];
  controls: {
    controlId: string;
    status: string;
    severity: string;
    subject: { name: string };
    message: string;
    location?: { file: string; line: number };
  }[];
  controlSummary: { pass: number; fail: number; error: number };
  inputErrors: unknown[];
}

describe.each([
  ['node-hardened', 0],
  ['node-weak', 1],
])('palisade node scan --root %s', (name, exitCode) => {
  const root = materialize(name);
  const expected = (
    JSON.parse(readFileSync(path.join(TESTDATA, name, 'expected.json'), 'utf8')) as {
      statuses: Record<string, string>;
    }
  ).statuses;

  it(`reports the expected status per benchmark id and exits ${exitCode}`, async () => {
    const io = memoryIO({ cwd: tmp });
    const code = await main(['node', 'scan', '--root', root, '-o', 'json', '--scan-date', SCAN_DATE], io);
    const report = JSON.parse(io.out()) as JsonReport;
    expect(report.kind).toBe('NodeScanReport');
    const got = Object.fromEntries(
      report.results.filter((r) => isRoot || !OWNER_CHECKS.has(r.id)).map((r) => [r.id, r.status]),
    );
    const want = Object.fromEntries(
      Object.entries(expected).filter(([id]) => isRoot || !OWNER_CHECKS.has(id)),
    );
    expect(got).toEqual(want);
    expect(report.summary.checks).toBe(95);
    if (isRoot) expect(code).toBe(exitCode);
  });

  it('renders the table and SARIF of the same scan', async () => {
    const io = memoryIO({ cwd: tmp });
    await main(
      ['node', 'scan', '--root', root, '-o', 'table', '-o', 'sarif=out.sarif', '--scan-date', SCAN_DATE],
      io,
    );
    expect(io.out()).toMatch(/95 checks: \d+ pass, \d+ fail, \d+ warn, 0 error, 3 skip/);
    const sarif = JSON.parse(io.files.get(path.join(tmp, 'out.sarif')) ?? '{}') as {
      runs: { results: { ruleId: string }[] }[];
    };
    const fails = Object.entries(expected).filter(
      ([id, s]) => s === 'fail' && (isRoot || !OWNER_CHECKS.has(id)),
    ).length;
    expect(sarif.runs[0]?.results.length ?? 0).toBeGreaterThanOrEqual(fails);
  });
});

describe('palisade node scan usage', () => {
  it.each([
    [['node', 'scan', '--root', path.join(tmp, 'missing')], 'is not a directory'],
    [['node', 'scan', '--root', tmp, '--section', 'policies'], '--section must be one of'],
    [['node', 'scan', '--root', tmp, '-o', 'pdf'], 'unknown output format'],
  ])('%j exits 2', async (args, message) => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(args, io)).toBe(2);
    expect(io.err()).toContain(message);
  });

  it('exits 2 for an unknown benchmark', async () => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(['node', 'scan', '--root', tmp, '--benchmark', 'cis-9'], io)).toBe(2);
  });

  it('limits the checks to the sections asked for', async () => {
    const root = materialize('node-weak');
    const io = memoryIO({ cwd: tmp });
    const code = await main(
      ['node', 'scan', '--root', root, '--section', 'etcd', '-o', 'json', '--fail-on', 'none'],
      io,
    );
    const report = JSON.parse(io.out()) as JsonReport;
    expect(report.results.map((r) => r.id)).toEqual(['2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7']);
    expect(code).toBe(0);
  });

  it('shows help with examples', async () => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(['node', 'scan', '--help'], io)).toBe(0);
    expect(io.out()).toContain('palisade node scan --root /host');
  });
});

// Issue #20: anonymous auth was only a WARN in node scan, and nothing read the control plane's
// certificates. Each case below failed before the node controls existed.
describe('palisade node scan: Palisade node controls', () => {
  async function scan(
    root: string,
    extra: string[] = [],
  ): Promise<{ code: number; report: JsonReport; io: ReturnType<typeof memoryIO> }> {
    const io = memoryIO({ cwd: tmp });
    const code = await main(
      ['node', 'scan', '--root', root, '-o', 'json', '--scan-date', SCAN_DATE, ...extra],
      io,
    );
    return { code, report: JSON.parse(io.out()) as JsonReport, io };
  }
  const byId = (report: JsonReport, id: string): JsonReport['controls'] =>
    report.controls.filter((c) => c.controlId === id);

  it('the hardened node passes every node control, each certificate checked', async () => {
    const { report } = await scan(materialize('node-hardened', 'controls-hardened'));
    expect(report.controlSummary).toMatchObject({ fail: 0, error: 0 });
    const certs = byId(report, 'auth/control-plane-certificate-expiry').map((c) => c.subject.name);
    expect(certs).toEqual(
      expect.arrayContaining([
        '/etc/kubernetes/pki/apiserver.crt',
        '/etc/kubernetes/pki/etcd/server.crt',
        '/etc/kubernetes/admin.conf users[0].user["client-certificate-data"]',
        '/etc/kubernetes/kubelet.conf clusters[0].cluster["certificate-authority-data"]',
        '/var/lib/kubelet/pki/kubelet.crt',
      ]),
    );
    expect(byId(report, 'auth/no-anonymous-auth').map((c) => [c.subject.name, c.status])).toEqual([
      ['kube-apiserver', 'pass'],
      ['kubelet', 'pass'],
    ]);
  });

  it('anonymous auth on the weak node is a FAIL finding for the API server and the kubelet (CIS 1.2.1 stays a WARN)', async () => {
    const root = materialize('node-weak', 'controls-weak');
    const { code, report } = await scan(root);
    expect(code).toBe(1);
    expect(report.results.find((r) => r.id === '1.2.1')?.status).toBe('warn');
    expect(
      byId(report, 'auth/no-anonymous-auth').map((c) => [c.subject.name, c.status, c.location?.file]),
    ).toEqual([
      ['kube-apiserver', 'fail', '/etc/kubernetes/manifests/kube-apiserver.yaml'],
      ['kubelet', 'fail', '/var/lib/kubelet/config.yaml'],
    ]);
    const io = memoryIO({ cwd: tmp });
    await main(['node', 'scan', '--root', root, '-o', 'sarif', '--scan-date', SCAN_DATE], io);
    const sarif = JSON.parse(io.out()) as { runs: { results: { ruleId: string; level: string }[] }[] };
    expect(sarif.runs[0]?.results.filter((r) => r.ruleId === 'auth/no-anonymous-auth')).toHaveLength(2);
  });

  it('an expired API server certificate is a high finding located at the flag that names it', async () => {
    const root = materialize('node-hardened', 'controls-expired');
    const expired = await makeCertificate('kube-apiserver', '2025-01-01', '2026-11-15');
    writeFileSync(path.join(root, 'etc/kubernetes/pki/apiserver.crt'), expired.cert);
    const { code, report } = await scan(root);
    const [r] = byId(report, 'auth/control-plane-certificate-expiry').filter((c) => c.status !== 'pass');
    expect(r).toMatchObject({
      status: 'fail',
      severity: 'high',
      subject: { name: '/etc/kubernetes/pki/apiserver.crt' },
    });
    expect(r?.message).toContain('expired on 2026-11-15');
    expect(r?.message).toContain('kube-apiserver --tls-cert-file');
    expect(r?.location?.file).toBe('/etc/kubernetes/manifests/kube-apiserver.yaml');
    if (isRoot) expect(code).toBe(1);
  });

  it('a kubeconfig client certificate within warnDays fails; --config warnDays moves the line', async () => {
    const root = materialize('node-hardened', 'controls-soon');
    const soon = await makeCertificate('kubernetes-admin', '2026-01-01', '2026-12-11T12:00:00Z');
    const admin = path.join(root, 'etc/kubernetes/admin.conf');
    writeFileSync(
      admin,
      readFileSync(admin, 'utf8').replace(
        /client-certificate-data: \S+/,
        `client-certificate-data: ${b64(soon.cert)}`,
      ),
    );
    const subject = '/etc/kubernetes/admin.conf users[0].user["client-certificate-data"]';
    const before = await scan(root);
    expect(before.report.controls.find((c) => c.subject.name === subject)).toMatchObject({
      status: 'fail',
      severity: 'medium',
    });
    writeFileSync(
      path.join(tmp, 'warn5.yaml'),
      'apiVersion: palisade.dev/v1\nkind: Config\nsettings:\n  auth/control-plane-certificate-expiry:\n    warnDays: 5\n',
    );
    const after = await scan(root, ['--config', 'warn5.yaml']);
    expect(after.report.controls.find((c) => c.subject.name === subject)?.status).toBe('pass');
  });

  it('a certificate that cannot be parsed or is missing is "could not check" and fails the run', async () => {
    const root = materialize('node-hardened', 'controls-broken');
    writeFileSync(path.join(root, 'etc/kubernetes/pki/front-proxy-client.crt'), 'not a certificate\n');
    rmSync(path.join(root, 'etc/kubernetes/pki/apiserver-kubelet-client.crt'));
    const { code, report } = await scan(root, ['--fail-on', 'fail']);
    const bad = byId(report, 'auth/control-plane-certificate-expiry').filter((c) => c.status !== 'pass');
    expect(bad.map((c) => [c.subject.name, c.status])).toEqual([
      ['/etc/kubernetes/pki/apiserver-kubelet-client.crt', 'error'],
      ['/etc/kubernetes/pki/front-proxy-client.crt', 'error'],
    ]);
    expect(bad[0]?.message).toMatch(/could not check .*file not found on the node/);
    expect(bad[1]?.message).toMatch(/could not check .*no PEM certificate/);
    expect(code).toBe(1);
  });

  it('follows the kubelet rotated certificate link inside the root and never prints its key', async () => {
    const root = materialize('node-hardened', 'controls-key');
    const rotated = await makeCertificate('system:node:cp1', '2026-01-01', '2027-06-01');
    const pkiDir = path.join(root, 'var/lib/kubelet/pki');
    mkdirSync(pkiDir, { recursive: true });
    writeFileSync(path.join(pkiDir, 'kubelet-client-2026-01-01.pem'), rotated.cert + rotated.key);
    // An absolute link, as the kubelet writes it: it must resolve inside --root, not on this machine.
    symlinkSync(
      '/var/lib/kubelet/pki/kubelet-client-2026-01-01.pem',
      path.join(pkiDir, 'kubelet-client-current.pem'),
    );
    const conf = path.join(root, 'etc/kubernetes/kubelet.conf');
    writeFileSync(
      conf,
      readFileSync(conf, 'utf8').replace(
        /client-certificate-data: \S+\n\s+client-key-data: \S+/,
        'client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem',
      ),
    );
    const { report } = await scan(root);
    expect(
      report.controls.find((c) => c.subject.name === '/var/lib/kubelet/pki/kubelet-client-current.pem'),
    ).toMatchObject({
      status: 'pass',
    });
    const keyBody = rotated.key.split('\n')[1] ?? 'missing';
    for (const format of ['json', 'yaml', 'table', 'sarif', 'html', 'csv', 'junit']) {
      const io = memoryIO({ cwd: tmp });
      await main(['node', 'scan', '--root', root, '-o', format, '--scan-date', SCAN_DATE], io);
      expect(io.out()).not.toContain('PRIVATE KEY');
      expect(io.out()).not.toContain(keyBody);
    }
  });
});

// Issue #20: an API server started with --authentication-config was judged by the flag's
// default only; the file's anonymous section is now read from the node.
describe('palisade node scan: the structured authentication configuration', () => {
  const root = materialize('node-hardened', 'controls-authn');
  const manifest = path.join(root, 'etc/kubernetes/manifests/kube-apiserver.yaml');
  // The flag gives way to the file (the API server refuses both); the command line is line 14.
  writeFileSync(
    manifest,
    readFileSync(manifest, 'utf8').replace(
      '- --anonymous-auth=false',
      '- --authentication-config=/etc/kubernetes/authn.yaml',
    ),
  );
  const FILE = '/etc/kubernetes/authn.yaml';
  const authn = (...anonymous: string[]): string =>
    [
      'apiVersion: apiserver.config.k8s.io/v1',
      'kind: AuthenticationConfiguration',
      ...(anonymous.length > 0 ? ['anonymous:', ...anonymous.map((l) => `  ${l}`)] : ['jwt: []']),
      '',
    ].join('\n');

  it.each([
    ['disabled', authn('enabled: false'), 'pass', FILE, 4, /sets anonymous.enabled: false/],
    ['enabled without conditions', authn('enabled: true'), 'fail', FILE, 4, /without conditions/],
    [
      'enabled for health endpoints only',
      authn('enabled: true', 'conditions:', '- path: /livez', '- path: /readyz'),
      'pass',
      FILE,
      4,
      /health endpoints only: anonymous requests are allowed to \/livez, \/readyz only/,
    ],
    [
      'enabled for another path',
      authn('enabled: true', 'conditions:', '- path: /healthz', '- path: /api'),
      'fail',
      FILE,
      7,
      /reach \/api, which is not a health endpoint/,
    ],
    [
      'no anonymous section: the flag default (enabled)',
      authn(),
      'fail',
      '/etc/kubernetes/manifests/kube-apiserver.yaml',
      14,
      /allowed by default \(\/etc\/kubernetes\/authn.yaml has no anonymous section\)/,
    ],
    ['missing', undefined, 'error', FILE, 1, /could not check: .*file not found on the node/],
    ['not YAML', 'anonymous: [enabled: true\n', 'error', FILE, 1, /could not check: .*cannot be read/],
    [
      'another kind',
      'kind: EncryptionConfiguration\n',
      'error',
      FILE,
      1,
      /not an AuthenticationConfiguration/,
    ],
  ] as const)('%s', async (name, text, status, file, line, message) => {
    const target = path.join(root, FILE);
    rmSync(target, { force: true });
    if (text !== undefined) writeFileSync(target, text);
    const io = memoryIO({ cwd: tmp });
    const code = await main(
      ['node', 'scan', '--root', root, '-o', 'json', '--scan-date', SCAN_DATE, '--fail-on', 'fail'],
      io,
    );
    const report = JSON.parse(io.out()) as JsonReport;
    const api = report.controls.filter(
      (c) => c.controlId === 'auth/no-anonymous-auth' && c.subject.name === 'kube-apiserver',
    );
    expect(api.map((c) => [c.status, c.location?.file, c.location?.line])).toEqual([[status, file, line]]);
    expect(api[0]?.message).toMatch(message);
    // A broken file is never quoted: only the parser's first line reaches the report.
    if (name === 'not YAML') expect(io.out()).not.toContain('[enabled: true');
    // A file that is not YAML is also an input error (exit 2), as a broken kubelet config is.
    if (isRoot || status !== 'pass') expect(code).toBe(status === 'pass' ? 0 : name === 'not YAML' ? 2 : 1);
  });

  async function apiResult(): Promise<JsonReport['controls'][number] | undefined> {
    const io = memoryIO({ cwd: tmp });
    await main(['node', 'scan', '--root', root, '-o', 'json', '--scan-date', SCAN_DATE], io);
    return (JSON.parse(io.out()) as JsonReport).controls.find(
      (c) => c.controlId === 'auth/no-anonymous-auth' && c.subject.name === 'kube-apiserver',
    );
  }

  it('follows an absolute link inside the root, not on the scanning machine', async () => {
    const target = path.join(root, FILE);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(path.join(root, 'etc/kubernetes/authn'), { recursive: true });
    writeFileSync(path.join(root, 'etc/kubernetes/authn/v1.yaml'), authn('enabled: false'));
    symlinkSync('/etc/kubernetes/authn/v1.yaml', target);
    expect(await apiResult()).toMatchObject({ status: 'pass', location: { file: FILE, line: 4 } });
  });

  it('a directory where the file should be is "could not check"', async () => {
    const target = path.join(root, FILE);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target);
    const r = await apiResult();
    expect(r?.status).toBe('error');
    expect(r?.message).toContain('not a regular file (directory)');
  });
});

describe('palisade node scan: the output convention', () => {
  const root = materialize('node-weak', 'convention');

  it('-o yaml --output-file writes the node report, the same data as -o json', async () => {
    const io = memoryIO({ cwd: tmp });
    await main(
      [
        'node',
        'scan',
        '--root',
        root,
        '-o',
        'yaml',
        '--output-file',
        'node.yaml',
        '-o',
        'json=node.json',
        '--scan-date',
        SCAN_DATE,
      ],
      io,
    );
    expect(io.out()).toBe('');
    const yaml = parseYaml(io.files.get(path.join(tmp, 'node.yaml')) ?? '') as JsonReport;
    expect(yaml.kind).toBe('NodeScanReport');
    expect(yaml).toEqual(JSON.parse(io.files.get(path.join(tmp, 'node.json')) ?? '{}'));
  });

  it('-o text is the table', async () => {
    const io = memoryIO({ cwd: tmp });
    await main(['node', 'scan', '--root', root, '-o', 'text', '--scan-date', SCAN_DATE], io);
    expect(io.out()).toMatch(/95 checks: /);
    expect(io.out()).toMatch(/^\d+ Palisade node controls: \d+ pass, [1-9]\d* fail, 0 could not check$/m);
  });

  it.each([
    [['--scan-date', '2026-13-45'], '--scan-date must be a date'],
    [['--output-file', 'a', '-o', 'json=b'], '--output-file given but every -o already names its file'],
    [['--config', 'missing.yaml'], 'cannot read configuration missing.yaml'],
  ])('%j exits 2', async (args, message) => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(['node', 'scan', '--root', root, ...args], io)).toBe(2);
    expect(io.err()).toContain(message);
  });
});

// A --root is a tree someone else controls: its files may be links to the scanning machine's
// devices, named pipes, huge, or crafted to exhaust the parser; none of it may hang the scan,
// exhaust its memory or reach the report verbatim.
describe('palisade node scan: hostile files under --root', () => {
  const root = materialize('node-hardened', 'hostile');
  const CONFIG = '/var/lib/kubelet/config.yaml';
  const original = readFileSync(path.join(root, CONFIG), 'utf8');
  const place = (nodePath: string, make: (p: string) => void): void => {
    const p = path.join(root, nodePath);
    rmSync(p, { recursive: true, force: true });
    make(p);
  };
  const restore = (): void => {
    place(CONFIG, (p) => {
      writeFileSync(p, original);
    });
  };

  async function scan(format = 'json'): Promise<{ code: number; out: string; err: string }> {
    const io = memoryIO({ cwd: tmp });
    const code = await main(['node', 'scan', '--root', root, '-o', format, '--scan-date', SCAN_DATE], io);
    return { code, out: io.out(), err: io.err() };
  }
  const inputErrors = (out: string): string[] =>
    (JSON.parse(out) as { inputErrors: { file: string; message: string }[] }).inputErrors.map(
      (e) => `${e.file}: ${e.message}`,
    );
  const kubeletConfigChecks = (out: string): string[] =>
    (JSON.parse(out) as JsonReport).results.filter((r) => r.location?.file === CONFIG).map((r) => r.status);

  it('a static pod manifest linked to /dev/zero is an input error, not a hang', async () => {
    const manifest = '/etc/kubernetes/manifests/kube-scheduler.yaml';
    const saved = readFileSync(path.join(root, manifest), 'utf8');
    place(manifest, (p) => {
      symlinkSync('/dev/zero', p);
    });
    try {
      const { code, out } = await scan();
      expect(code).toBe(2);
      expect(inputErrors(out)).toContain(
        `${manifest}: cannot read: not a regular file (character device), not read`,
      );
    } finally {
      place(manifest, (p) => {
        writeFileSync(p, saved);
      });
    }
  });

  it.runIf(process.platform !== 'win32')(
    'a kubelet config that is a named pipe is never opened',
    async () => {
      place(CONFIG, (p) => execFileSync('mkfifo', [p]));
      try {
        const { code, out } = await scan();
        expect(code).toBe(2);
        expect(inputErrors(out)).toContain(`${CONFIG}: not a regular file (other)`);
      } finally {
        restore();
      }
    },
  );

  it('an absolute link as the kubelet config is followed inside the root', async () => {
    place('/etc/kubernetes/kubelet-v1.yaml', (p) => {
      writeFileSync(p, original);
    });
    place(CONFIG, (p) => {
      symlinkSync('/etc/kubernetes/kubelet-v1.yaml', p);
    });
    try {
      const { out } = await scan();
      expect(inputErrors(out)).toEqual([]);
      // The config is decoded from the root's file: its checks are judged, not "could not check".
      const statuses = (JSON.parse(out) as JsonReport).results
        .filter((r) => r.location?.file === CONFIG)
        .map((r) => r.status);
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses).not.toContain('error');
      // /dev/zero named by an absolute link is the root's /dev/zero (absent), never the machine's.
      place(CONFIG, (p) => {
        symlinkSync('/dev/zero', p);
      });
      const zero = await scan();
      expect(zero.code).toBe(2);
      expect(inputErrors(zero.out)).toContain(`${CONFIG}: file not found on the node`);
    } finally {
      restore();
    }
  });

  it.each(REPORT_FORMATS)('a broken kubelet config is never quoted (-o %s)', async (format) => {
    const secret = 'S3cr3t-k8s-token-6f1c2b9d';
    place(CONFIG, (p) => {
      writeFileSync(p, `${original}staticPodURLHeader:\n  Authorization: [Bearer ${secret}\n`);
    });
    try {
      const { code, out, err } = await scan(format);
      expect(code).toBe(2);
      // The CSV findings carry no input errors; every other format names the reason.
      if (format !== 'csv') expect(out).toContain('cannot decode the config file');
      expect(out).not.toContain(secret);
      expect(err).not.toContain(secret);
    } finally {
      restore();
    }
  });

  it('a kubelet config whose aliases expand exponentially is refused before expansion', async () => {
    // Ten levels of ten aliases: 10^10 nodes if expanded.
    const levels = Array.from({ length: 10 }, (_, i) =>
      i === 0
        ? 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'
        : `a${i}: &a${i} [${Array(10)
            .fill(`*a${i - 1}`)
            .join(', ')}]`,
    );
    place(CONFIG, (p) => {
      writeFileSync(p, `${original}${levels.join('\n')}\n`);
    });
    try {
      const { code, out } = await scan();
      expect(code).toBe(2);
      expect(inputErrors(out)).toContain(
        `${CONFIG}: cannot decode the config file: aliases expand past 100 uses (an alias bomb?); not decoded`,
      );
      expect(kubeletConfigChecks(out)).toContain('error');
    } finally {
      restore();
    }
  });
});
