// The rows of issue 19 that belong to failing closed and failing cleanly, each as a test that
// runs the real CLI: in process through main() where the process does not matter, and as a
// child process (src/cli/bin.ts through tsx) for pipes, full disks and exit codes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = path.join(ROOT, 'src/cli/bin.ts');
const DEMO = path.join(ROOT, 'examples/demo-cluster');
const tmp = mkdtempSync(path.join(tmpdir(), 'palisade-hardening-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a process would (bin.ts under tsx); `shell` wraps the command in bash. */
function cli(args: string[], options: { stdin?: string; shell?: (cmd: string) => string } = {}): Run {
  const argv = [process.execPath, '--import', 'tsx', BIN, ...args];
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = options.shell
    ? spawnSync('bash', ['-c', options.shell(quoted)], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    : spawnSync(argv[0] ?? 'node', argv.slice(1), {
        cwd: ROOT,
        encoding: 'utf8',
        input: options.stdin ?? '',
        timeout: 60_000,
        env: { ...process.env, NO_COLOR: '1' },
      });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PRIVILEGED_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'root-shell', namespace: 'shop' },
  spec: { containers: [{ name: 'sh', image: 'busybox:1.36', securityContext: { privileged: true } }] },
};

function snapshotJson(): string {
  return JSON.stringify({
    apiVersion: 'palisade.dev/v1',
    kind: 'ClusterSnapshot',
    createdAt: '2026-12-01T00:00:00.000Z',
    source: { server: 'https://10.0.0.1:6443', context: 'prod' },
    facts: {},
    types: [],
    errors: [],
    objects: [PRIVILEGED_POD],
  });
}

describe('fail closed: no input is exit 2, never a clean scan', () => {
  it('empty standard input (an empty `helm template`) is exit 2 with a message and no report', async () => {
    const io = memoryIO({ cwd: tmp, stdin: '' });
    expect(await main(['scan', '-', '-o', 'json'], io)).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('no Kubernetes objects in standard input: nothing to scan');
  });

  it('standard input of comments and blank documents only is exit 2 too', async () => {
    const io = memoryIO({ cwd: tmp, stdin: '---\n# Source: chart/templates/x.yaml\n---\n' });
    expect(await main(['scan', '-'], io)).toBe(2);
    expect(io.out()).not.toContain('100%');
  });

  it('a directory without manifests is exit 2 naming it, with no 100% score', async () => {
    const dir = path.join(tmp, 'no-manifests');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'README.md'), '# not a manifest\n');
    const io = memoryIO({ cwd: tmp });
    expect(await main(['scan', 'no-manifests'], io)).toBe(2);
    expect(io.out()).not.toContain('100%');
    expect(io.err()).toContain('no-manifests: no manifests found');
    expect(io.err()).toContain('no Kubernetes objects in no-manifests');
  });

  it.each([
    ['rbac', 'who-can', 'get', 'secrets'],
    ['netpol', 'matrix'],
  ])('%s %s on empty input is exit 2, not "nobody" or an empty matrix', async (...args) => {
    const dir = path.join(tmp, 'empty-for-' + args[0]);
    mkdirSync(dir, { recursive: true });
    const io = memoryIO({ cwd: tmp });
    expect(await main([...args, dir], io)).toBe(2);
    expect(io.err()).toContain('no Kubernetes objects');
  });
});

describe('a snapshot given as a path', () => {
  it.each([
    ['plain JSON', 'prod.snapshot.json', snapshotJson()],
    ['gzip JSON', 'prod.snapshot.json.gz', gzipSync(snapshotJson())],
  ])('%s is read as a snapshot (its findings reported), with a note', async (_what, name, content) => {
    writeFileSync(path.join(tmp, name), content);
    const io = memoryIO({ cwd: tmp });
    const code = await main(['scan', name, '-o', 'json', '--fail-on', 'critical'], io);
    const report = JSON.parse(io.out()) as { findings: { controlId: string }[] };
    expect(report.findings.map((f) => f.controlId)).toContain('workload/no-privileged');
    expect(code).toBe(1);
    expect(io.err()).toContain(`${name} is a Palisade snapshot; reading it as with --snapshot`);
  });

  it('among other paths it is refused with "use --snapshot"', async () => {
    writeFileSync(path.join(tmp, 'mixed.snapshot.json'), snapshotJson());
    const io = memoryIO({ cwd: tmp });
    expect(await main(['scan', 'mixed.snapshot.json', DEMO], io)).toBe(2);
    expect(io.err()).toContain(
      'mixed.snapshot.json is a Palisade snapshot: scan it on its own with --snapshot',
    );
  });

  it('reformatted (keys reordered) among manifests it is an input error saying --snapshot', async () => {
    const dir = path.join(tmp, 'reordered');
    mkdirSync(dir, { recursive: true });
    const snap = JSON.parse(snapshotJson()) as Record<string, unknown>;
    writeFileSync(path.join(dir, 'snap.json'), JSON.stringify({ objects: snap.objects, ...snap }, null, 2));
    writeFileSync(path.join(dir, 'pod.json'), JSON.stringify(PRIVILEGED_POD));
    const io = memoryIO({ cwd: dir });
    expect(await main(['scan', '.', '-o', 'json'], io)).toBe(2);
    const report = JSON.parse(io.out()) as { inputErrors: { file: string; message: string }[] };
    expect(report.inputErrors).toContainEqual(
      expect.objectContaining({
        file: 'snap.json',
        message: expect.stringContaining('use --snapshot') as string,
      }),
    );
  });
});

describe('clean failures of the process', () => {
  it("a reader that closes the pipe (| head -c100) ends quietly with the run's exit code", () => {
    const r = cli(['scan', DEMO, '--fail-on', 'high'], {
      shell: (cmd) => `${cmd} | head -c100 >/dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`,
    });
    expect(r.stderr).toMatch(/exit=1\n$/);
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.stderr).not.toMatch(/^ {4}at /m);
  }, 60_000);

  it.skipIf(!existsSync('/dev/full'))(
    'a full disk on stdout (>/dev/full) is exit 2 naming standard output',
    () => {
      const r = cli(['scan', DEMO, '-q'], { shell: (cmd) => `${cmd} >/dev/full` });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'palisade: cannot write to standard output: no space left on device (ENOSPC)',
      );
      expect(r.stderr).not.toMatch(/^ {4}at /m);
    },
    60_000,
  );

  it('an output file that is a directory is exit 2 naming the path', async () => {
    const io = memoryIO({ cwd: DEMO });
    const real = await import('../io.js');
    const proc = real.processIO();
    const code = await main(['scan', '.', '-q', '-o', `json=${tmp}`], {
      ...io,
      writeFile: (f, c) => proc.writeFile(f, c),
      openFile: (f) => (proc.openFile ? proc.openFile(f) : Promise.reject(new Error('no openFile'))),
    });
    expect(code).toBe(2);
    expect(io.err()).toContain(`palisade: cannot write ${tmp}: is a directory (EISDIR)`);
  });

  it('the same through the process: exit 2, one line, no stack', () => {
    const r = cli(['scan', DEMO, '-q', '-o', `json=${tmp}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`palisade: cannot write ${tmp}: is a directory (EISDIR)\n`);
  }, 60_000);
});

describe('exit codes (docs/cli.md)', () => {
  it.each([
    ['0: clean', ['scan', DEMO, '-q', '--fail-on', 'none', '-o', 'json'], 0],
    ['1: findings at or above --fail-on', ['scan', DEMO, '-q', '-o', 'json'], 1],
    ['2: usage error', ['scan', '--fail-on', 'sometimes'], 2],
    ['2: input error', ['scan', '/nonexistent/palisade-input'], 2],
  ])(
    '%s',
    (_what, args, code) => {
      expect(cli(args).code).toBe(code);
    },
    60_000,
  );

  it('3: an internal error prints one line without --debug and the stack with it', async () => {
    const boom = (): never => {
      throw new TypeError('object is not iterable');
    };
    const io = memoryIO({ cwd: DEMO });
    const broken = { ...io, writeFile: boom, openFile: boom };
    expect(await main(['scan', '.', '-q', '-o', 'json=r.json'], broken)).toBe(3);
    expect(io.err()).toMatch(
      /^palisade: internal error: object is not iterable \(a bug: please report it; --debug prints the stack trace\)\n$/,
    );
    const io2 = memoryIO({ cwd: DEMO });
    expect(
      await main(['--debug', 'scan', '.', '-q', '-o', 'json=r.json'], {
        ...io2,
        writeFile: boom,
        openFile: boom,
      }),
    ).toBe(3);
    expect(io2.err()).toMatch(/internal error: TypeError: object is not iterable\n\s+at /);
  });
});

describe('control characters and formulas in every text format', () => {
  const ESC = '\u001b';
  const pod = (name: string): string =>
    JSON.stringify({
      ...PRIVILEGED_POD,
      metadata: { name, namespace: 'shop', annotations: { note: `${ESC}]0;pwned${ESC}\\` } },
    });
  const hostile = `web${ESC}[2J${ESC}[31mred\u0007`;

  it.each(['csv', 'table', 'html', 'junit', 'sarif', 'json', 'yaml'])(
    '%s output carries no raw ESC or BEL from an object name',
    async (format) => {
      const io = memoryIO({ cwd: tmp, stdin: pod(hostile) });
      expect(await main(['scan', '-', '-o', format, '--fail-on', 'none'], io)).toBe(0);
      expect(io.out()).toContain('web');
      expect(io.out()).not.toContain(ESC);
      expect(io.out()).not.toContain('\u0007');
    },
  );

  it('csv neutralises ANSI escapes and a spreadsheet formula in a name', async () => {
    const io = memoryIO({ cwd: tmp, stdin: pod('=HYPERLINK("http://x";"y")') + '\n---\n' + pod(hostile) });
    expect(await main(['scan', '-', '-o', 'csv', '--fail-on', 'none'], io)).toBe(0);
    expect(io.out()).toContain(`"'=HYPERLINK(""http://x"";""y"")"`);
    expect(io.out()).toContain('web\uFFFD[2J\uFFFD[31mred\uFFFD');
  });

  it('a file output is neutralised too', async () => {
    const io = memoryIO({ cwd: tmp, stdin: pod(hostile) });
    expect(await main(['scan', '-', '-o', 'csv=r.csv', '-q', '--fail-on', 'none'], io)).toBe(0);
    const written = io.files.get(path.join(tmp, 'r.csv')) ?? '';
    expect(written).toContain('web');
    expect(written).not.toContain(ESC);
  });
});

describe('never a credential in an error', () => {
  const TOKEN = 'SECRET-TOKEN-3f9a1c77e2b04d18';
  const PASSWORD = 'SECRET-PASSWORD-8c2e55d0a1';
  const KEY_DATA = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tClNFQ1JFVC1LRVktTUFURVJJQUwtOTk=';
  const CERT_DATA = 'U0VDUkVULUNFUlQtREFUQS0wMTIzNDU2Nzg5';
  const SECRETS = [TOKEN, PASSWORD, KEY_DATA, CERT_DATA];
  const head = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:1
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
users:
- name: u
  user:
`;
  const KUBECONFIGS: [string, string][] = [
    [
      'a line indented one space too far after the credentials',
      `${head}    token: ${TOKEN}\n    password: ${PASSWORD}\n    client-key-data: ${KEY_DATA}\n     username: admin\n`,
    ],
    ['an unterminated quote in the token', `${head}    token: "${TOKEN}\n    password: ${PASSWORD}\n`],
    ['a tab before the password', `${head}    token: ${TOKEN}\n\tpassword: ${PASSWORD}\n`],
    ['the token twice', `${head}    token: ${TOKEN}\n    token: ${PASSWORD}\n`],
    ['a list where a map belongs', `${head}    - token: ${TOKEN}\n      client-key-data: ${KEY_DATA}\n`],
    [
      'key data that is not a key',
      `${head}    client-certificate-data: ${CERT_DATA}\n    client-key-data: ${KEY_DATA}\n`,
    ],
    [
      'clusters as a map holding a token',
      `apiVersion: v1\nkind: Config\nclusters: {name: c, token: ${TOKEN}}\n`,
    ],
  ];
  const COMMANDS: string[][] = [
    ['scan', '--cluster'],
    ['rbac', 'who-can', 'get', 'pods', '--cluster'],
    ['netpol', 'matrix', '--cluster'],
    ['snapshot', 'save', 'out.snapshot.json.gz'],
    ['admission', 'install', '--apply'],
  ];
  const cases = KUBECONFIGS.flatMap(([what, text], i) =>
    COMMANDS.map((cmd) => [cmd.slice(0, 2).join(' '), what, text, i, cmd] as const),
  );

  it.each(cases)('%s with %s: exit 2, no value in any output', async (_cmd, _what, text, i, cmd) => {
    const file = path.join(tmp, `kubeconfig-${i}.yaml`);
    writeFileSync(file, text);
    const io = memoryIO({ cwd: tmp });
    const code = await main([...cmd, '--kubeconfig', file], io);
    const said = io.out() + io.err() + [...io.files.values()].join('');
    for (const s of SECRETS) {
      for (let k = 0; k + 10 <= s.length; k++) expect(said).not.toContain(s.slice(k, k + 10));
    }
    expect(code).toBe(2);
    expect(io.err()).toMatch(/^palisade: /m);
  });

  it('a YAML error names the file, line, column and field', async () => {
    const file = path.join(tmp, 'kubeconfig-0.yaml');
    writeFileSync(file, KUBECONFIGS[0]?.[1] ?? '');
    const io = memoryIO({ cwd: tmp });
    expect(await main(['scan', '--cluster', '--kubeconfig', file], io)).toBe(2);
    expect(io.err()).toBe(
      `palisade: ${file}:17:14: kubeconfig is not valid YAML: bad indentation of a mapping entry (at field users[].user.client-key-data.username); values are not shown, they may be credentials\n`,
    );
  });
});

describe('timeouts and retries on every network call (a fake API server on 127.0.0.1)', () => {
  const kubeconfigFor = (server: string, name: string): string => {
    const file = path.join(tmp, `${name}.kubeconfig`);
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ${server}
    insecure-skip-tls-verify: true
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
users:
- name: u
  user: {token: abc}
`,
    );
    return file;
  };

  /** A server that accepts TCP connections and never says a word. */
  async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = createNetServer((s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      port: (server.address() as AddressInfo).port,
      close: () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => {
            r();
          });
        }),
    };
  }

  /** A port that nothing listens on: bound, then released. */
  async function closedPort(): Promise<number> {
    const server = createNetServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) =>
      server.close(() => {
        r();
      }),
    );
    return port;
  }

  const commands: [string, string[]][] = [
    ['scan --cluster', ['scan', '--cluster']],
    ['rbac who-can --cluster', ['rbac', 'who-can', 'get', 'pods', '--cluster']],
    ['snapshot save', ['snapshot', 'save', 'never.snapshot.json.gz']],
    ['admission install --apply', ['admission', 'install', '--apply', '--skip-certificates']],
  ];

  it.each(commands)(
    '%s against a server that never answers ends within --request-timeout naming host and step',
    async (_name, args) => {
      const silent = await silentServer();
      try {
        const kubeconfig = kubeconfigFor(`http://127.0.0.1:${silent.port}`, 'silent');
        const io = memoryIO({ cwd: tmp });
        expect(await main([...args, '--kubeconfig', kubeconfig, '--request-timeout', '1s'], io)).toBe(2);
        expect(io.err()).toMatch(
          new RegExp(`GET /[a-z/0-9]* on 127\\.0\\.0\\.1:${silent.port}: no answer within 1 s`),
        );
        expect(io.err()).not.toContain('ECONNREFUSED');
        expect(io.err()).not.toContain('retrying');
      } finally {
        await silent.close();
      }
    },
    10_000,
  );

  it.each(commands)(
    '%s against a closed port fails at once with a clear message, without retries',
    async (_name, args) => {
      const port = await closedPort();
      const kubeconfig = kubeconfigFor(`http://127.0.0.1:${port}`, 'closed');
      const io = memoryIO({ cwd: tmp });
      expect(await main([...args, '--kubeconfig', kubeconfig], io)).toBe(2);
      expect(io.err()).toContain(
        `connecting to 127.0.0.1:${port}: connection refused (is the API server running`,
      );
      expect(io.err()).not.toContain('retrying');
    },
    5_000,
  );

  it('refuses a malformed --request-timeout', async () => {
    const io = memoryIO({ cwd: tmp });
    const kubeconfig = kubeconfigFor('http://127.0.0.1:1', 'bad-timeout');
    expect(
      await main(['scan', '--cluster', '--kubeconfig', kubeconfig, '--request-timeout', 'soon'], io),
    ).toBe(2);
    expect(io.err()).toContain('--request-timeout must be a duration such as 30s, 2m or 0 (got "soon")');
  });

  /** A minimal API server: core v1 with pods and namespaces; lists answer `list(path)` or 403. */
  function fakeApi(
    list: (path: string) => unknown[] | undefined,
    versionsLeft503 = 0,
  ): ReturnType<typeof createHttpServer> {
    let left = versionsLeft503;
    return createHttpServer((req, res) => {
      const url = req.url ?? '';
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const items = list(url.split('?')[0] ?? '');
      if (url === '/version') json(200, { gitVersion: 'v1.30.0' });
      else if (url === '/api') json(200, { kind: 'APIVersions', versions: ['v1'] });
      else if (url === '/apis') json(200, { kind: 'APIGroupList', groups: [] });
      else if (url === '/api/v1') {
        if (left-- > 0) json(503, { message: 'etcd is busy' });
        else
          json(200, {
            resources: [
              { name: 'pods', kind: 'Pod', namespaced: true, verbs: ['list'] },
              { name: 'namespaces', kind: 'Namespace', namespaced: false, verbs: ['list'] },
            ],
          });
      } else if (items) json(200, { kind: 'List', metadata: {}, items });
      else json(403, { kind: 'Status', message: `${url.split('?')[0] ?? ''} is forbidden` });
    });
  }

  it('says on stderr that it retries a 503, and fails closed when every list is forbidden', async () => {
    const server = fakeApi(() => undefined, 1);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const kubeconfig = kubeconfigFor(`http://127.0.0.1:${port}`, 'forbidden');
      const io = memoryIO({ cwd: tmp });
      expect(await main(['scan', '--cluster', '--kubeconfig', kubeconfig, '-o', 'json'], io)).toBe(2);
      expect(io.err()).toMatch(
        new RegExp(
          `palisade: /api/v1 on http://127\\.0\\.0\\.1:${port}: HTTP 503; retrying in \\d\\.\\d s \\(attempt 2 of 5\\)`,
        ),
      );
      expect(io.err()).toContain('/api/v1/pods is forbidden');
      expect(io.err()).toContain('no Kubernetes objects in the cluster: nothing to scan');
      expect(io.out()).toBe('');
    } finally {
      await new Promise<void>((r) =>
        server.close(() => {
          r();
        }),
      );
    }
  }, 10_000);

  it('snapshot save to a path that is a directory is exit 2 naming it', async () => {
    const server = fakeApi((p) => (p === '/api/v1/namespaces' ? [{ metadata: { name: 'shop' } }] : []));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const kubeconfig = kubeconfigFor(`http://127.0.0.1:${port}`, 'one-namespace');
      const io = memoryIO({ cwd: tmp });
      expect(await main(['snapshot', 'save', tmp, '-q', '--kubeconfig', kubeconfig], io)).toBe(2);
      expect(io.err()).toBe(`palisade: cannot write ${tmp}: is a directory (EISDIR)\n`);
    } finally {
      await new Promise<void>((r) =>
        server.close(() => {
          r();
        }),
      );
    }
  }, 10_000);
});
