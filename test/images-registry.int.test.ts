import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import type { ImageScanResult } from '../src/images/index.js';
import { buildTar, writeOciLayout } from '../src/images/testing.js';
import { requireRegistryOrSkip, startTestRegistry, type TestRegistry } from './harness/registry.js';

const gate = requireRegistryOrSkip();
if (!gate.run) console.log(`images-registry: skipped: ${gate.reason ?? ''}`);

function apkImage(pkg: string, version: string): Promise<Buffer> {
  return buildTar([
    { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\n' },
    { name: 'lib/apk/db/installed', data: `P:${pkg}\nV:${version}\nA:x86_64\n` },
  ]);
}

describe.skipIf(!gate.run)('image scan against a real registry (TLS + htpasswd)', () => {
  let registry: TestRegistry;
  let work: string;
  let caFile: string;
  let cacheDir: string;
  let singleDigest: string;

  beforeAll(async () => {
    registry = await startTestRegistry();
    work = await mkdtemp(path.join(tmpdir(), 'palisade-registry-test-'));
    caFile = path.join(work, 'ca.pem');
    cacheDir = path.join(work, 'cache');
    await writeFile(caFile, registry.caPem);
    const single = await writeOciLayout(
      path.join(work, 'single'),
      [
        {
          layers: [
            await apkImage('musl', '1.2.4-r2'),
            await buildTar([
              {
                name: 'app/node_modules/left-pad/package.json',
                data: '{"name":"left-pad","version":"1.3.0"}',
              },
            ]),
          ],
        },
      ],
      { tag: 'v1' },
    );
    singleDigest = single.digest;
    await registry.push(`${path.join(work, 'single')}:v1`, 'shop/app:v1');
    await writeOciLayout(
      path.join(work, 'multi'),
      [
        {
          layers: [await apkImage('only-on-amd64', '1.0-r0')],
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          layers: [await apkImage('only-on-arm64', '2.0-r0')],
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
      { tag: 'multi' },
    );
    await registry.push(`${path.join(work, 'multi')}:multi`, 'shop/multi:1', true);
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  async function scan(args: string[], password?: string, env: Record<string, string> = {}) {
    const io = memoryIO({
      cwd: work,
      ...(password !== undefined ? { stdin: `${password}\n` } : {}),
      env: { HOME: work, ...env },
    });
    const login = password !== undefined ? ['--username', registry.username, '--password-stdin'] : [];
    const code = await main(
      [
        'image',
        'scan',
        '--no-vulns',
        ...args,
        ...login,
        '--registry-ca',
        caFile,
        '--cache-dir',
        cacheDir,
        '-o',
        'json',
        '-q',
      ],
      io,
    );
    return {
      code,
      out: io.out(),
      err: io.err(),
      result: code === 0 ? (JSON.parse(io.out()) as ImageScanResult) : undefined,
    };
  }

  it('scans by tag: packages from both layers, each with its layer, and blobs cached by digest', async () => {
    const r = await scan([`${registry.host}/shop/app:v1`], registry.password);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.result?.manifestDigest).toBe(singleDigest);
    expect(r.result?.packages.map((p) => p.purl)).toEqual([
      'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1',
      'pkg:npm/left-pad@1.3.0',
    ]);
    const layers = r.result?.layers ?? [];
    expect(r.result?.packages.map((p) => p.location.layerDigest)).toEqual(layers);
    const cached = await readdir(path.join(cacheDir, 'sha256'));
    for (const l of layers) expect(cached).toContain(l.slice(7));
  });

  it('scans by digest to the same result', async () => {
    const r = await scan([`${registry.host}/shop/app@${singleDigest}`], registry.password);
    expect(r.code).toBe(0);
    expect(r.result?.packages).toHaveLength(2);
  });

  it('a wrong password is a clear error, exit 2, without the password in it', async () => {
    const r = await scan([`${registry.host}/shop/app:v1`], 'not-the-password');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^palisade: registry 127\.0\.0\.1:\d+: .*refused.*wrong username or password/);
    expect(r.err).not.toContain('not-the-password');
  });

  it('no credentials at all is refused too (exit 2)', async () => {
    const r = await scan([`${registry.host}/shop/app:v1`]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/requires a username and password/);
  });

  it('takes credentials from DOCKER_CONFIG auths', async () => {
    const dockerDir = path.join(work, 'docker');
    await mkdir(dockerDir, { recursive: true });
    const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
    await writeFile(
      path.join(dockerDir, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth } } }),
    );
    const r = await scan([`${registry.host}/shop/app:v1`], undefined, { DOCKER_CONFIG: dockerDir });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('picks a platform from a manifest list', async () => {
    const arm = await scan([`${registry.host}/shop/multi:1`, '--platform', 'linux/arm64'], registry.password);
    expect(arm.code).toBe(0);
    expect(arm.result?.packages.map((p) => p.name)).toEqual(['only-on-arm64']);
    expect(arm.result?.config.architecture).toBe('arm64');
    const amd = await scan([`${registry.host}/shop/multi:1`, '--platform', 'linux/amd64'], registry.password);
    expect(amd.result?.packages.map((p) => p.name)).toEqual(['only-on-amd64']);
    const none = await scan(
      [`${registry.host}/shop/multi:1`, '--platform', 'linux/s390x'],
      registry.password,
    );
    expect(none.code).toBe(2);
    expect(none.err).toMatch(
      /no manifest for platform linux\/s390x; available: linux\/amd64, linux\/arm64\/v8/,
    );
  });
});

describe.skipIf(!gate.run)('image scan against a real registry with bearer-token authentication', () => {
  let registry: TestRegistry;
  let work: string;
  let caFile: string;

  beforeAll(async () => {
    registry = await startTestRegistry({ auth: 'token' });
    work = await mkdtemp(path.join(tmpdir(), 'palisade-registry-token-'));
    caFile = path.join(work, 'ca.pem');
    await writeFile(caFile, registry.caPem);
    await writeOciLayout(path.join(work, 'img'), [{ layers: [await apkImage('busybox', '1.36.1-r15')] }], {
      tag: 't',
    });
    await registry.push(`${path.join(work, 'img')}:t`, 'team/tool:1');
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  async function scan(password?: string) {
    const io = memoryIO({
      cwd: work,
      ...(password !== undefined ? { stdin: password } : {}),
      env: { HOME: work },
    });
    const login = password !== undefined ? ['--username', registry.username, '--password-stdin'] : [];
    const code = await main(
      [
        'image',
        'scan',
        '--no-vulns',
        `${registry.host}/team/tool:1`,
        ...login,
        '--registry-ca',
        caFile,
        '--cache-dir',
        path.join(work, 'c'),
        '-o',
        'json',
        '-q',
      ],
      io,
    );
    return { code, out: io.out(), err: io.err() };
  }

  it('gets a token from the realm with the credentials and scans', async () => {
    const r = await scan(registry.password);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as ImageScanResult).packages.map((p) => p.name)).toEqual(['busybox']);
  });

  it('a wrong password is refused by the token service: exit 2', async () => {
    const r = await scan('wrong');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/authentication as palisade was refused \(wrong username or password\?\)/);
  });

  it('an anonymous token without pull rights is refused: exit 2', async () => {
    const r = await scan();
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/access to team\/tool anonymously was refused/);
  });
});
