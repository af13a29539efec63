import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { openStore } from '../src/store/index.js';
import { VerdictStore } from '../src/images/verdict-store.js';
import { buildTar, writeOciLayout } from '../src/images/testing.js';
import { requireRegistryOrSkip, startTestRegistry, type TestRegistry } from './harness/registry.js';

const gate = requireRegistryOrSkip();
if (!gate.run) console.log(`registry-watch: skipped: ${gate.reason ?? ''}`);

describe.skipIf(!gate.run)('palisade registry watch against a real registry (TLS + htpasswd)', () => {
  let registry: TestRegistry;
  let work: string;
  let env: Record<string, string>;
  const digests: string[] = [];

  beforeAll(async () => {
    registry = await startTestRegistry();
    work = mkdtempSync(path.join(tmpdir(), 'palisade-registry-watch-'));
    for (const [i, pkg] of ['musl', 'busybox'].entries()) {
      const layer = await buildTar([
        { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\n' },
        { name: 'lib/apk/db/installed', data: `P:${pkg}\nV:1.0-r${i}\nA:x86_64\n` },
      ]);
      const layout = await writeOciLayout(path.join(work, `l${i}`), [{ layers: [layer] }], { tag: 't' });
      digests.push(layout.digest);
    }
    await registry.push(`${path.join(work, 'l0')}:t`, 'shop/app:v1');
    await registry.push(`${path.join(work, 'l0')}:t`, 'shop/app:latest');
    await registry.push(`${path.join(work, 'l1')}:t`, 'shop/app:v2');
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
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  async function watch(args: string[]) {
    const io = memoryIO({ cwd: work, env });
    const code = await main(
      [
        'registry',
        'watch',
        ...args,
        '--once',
        '--no-vulns',
        '--registry-ca',
        'ca.pem',
        '--cache-dir',
        'cache',
        '--store',
        'images.sqlite',
      ],
      io,
    );
    return { code, out: io.out(), err: io.err() };
  }

  it('scans each new digest of every tag once into the verdict store, and nothing the second time', async () => {
    const first = await watch([`${registry.host}/shop/app`]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const lines = first.out.trim().split('\n').sort();
    expect(lines).toEqual(
      [
        `scanned ${registry.host}/shop/app:latest ${digests[0] ?? ''}: 1 packages, 0 vulnerabilities`,
        `scanned ${registry.host}/shop/app:v2 ${digests[1] ?? ''}: 1 packages, 0 vulnerabilities`,
      ].sort(),
    );
    const store = VerdictStore.openReadOnly(path.join(work, 'images.sqlite'));
    try {
      expect(store.digestOf(`${registry.host}/shop/app:v1`)).toBe(digests[0]);
      expect(store.digestOf(`${registry.host}/shop/app:v2`)).toBe(digests[1]);
      expect(store.scanOf(digests[1] ?? '')?.packages).toBe(1);
    } finally {
      store.close();
    }
    const second = await watch([`${registry.host}/shop/app`]);
    expect(second.code).toBe(0);
    expect(second.out).toBe('');
  });

  it('--db records each scanned image in the history store as well', async () => {
    const io = memoryIO({ cwd: work, env });
    const history = path.join(work, 'history.db');
    const args = ['registry', 'watch', `${registry.host}/shop/app`, '--once', '--no-vulns'];
    const rest = ['--registry-ca', 'ca.pem', '--cache-dir', 'cache', '--store', 'fresh.sqlite'];
    const code = await main([...args, ...rest, '--db', history], io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const store = await openStore({ kind: 'sqlite', file: history });
    try {
      for (const d of digests) {
        const r = await store.latestImageResult(d);
        expect(r?.packages).toBe(1);
        expect(r?.ref).toMatch(new RegExp(`^${registry.host.replace(/\./g, '\\.')}/shop/app:`));
      }
      const rows = await store.db.selectFrom('image_results').select('id').execute();
      expect(rows).toHaveLength(2);
    } finally {
      await store.close();
    }
  });

  it('a repository that does not exist is reported on stderr and, alone, exits 2', async () => {
    const r = await watch([`${registry.host}/shop/none`]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^palisade: ${registry.host.replace(/\./g, '\\.')}/shop/none: `));
  });

  it('usage errors exit 2', async () => {
    const r = await watch([`${registry.host}/shop/app`, '--interval', 'soon']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--interval soon: expected a duration/);
  });
});
