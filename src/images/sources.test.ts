import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialSourceFromDockerConfig, parseHelperOutput } from './credentials.js';
import { openDockerArchive, openOciLayout } from './local-sources.js';
import { selectFromIndex, parseManifest } from './manifest.js';
import { parseImageReference } from './reference.js';
import { parseChallenge } from './registry.js';
import { scanImage } from './scan.js';
import { buildTar, writeDockerArchive, writeOciLayout } from './testing.js';

describe('image references', () => {
  it.each([
    ['debian', { registry: 'docker.io', repository: 'library/debian', tag: 'latest' }],
    ['debian:bookworm', { registry: 'docker.io', repository: 'library/debian', tag: 'bookworm' }],
    ['ghcr.io/acme/api:1.4', { registry: 'ghcr.io', repository: 'acme/api', tag: '1.4' }],
    ['127.0.0.1:5000/shop/app', { registry: '127.0.0.1:5000', repository: 'shop/app', tag: 'latest' }],
    [
      'localhost/app@sha256:' + 'a'.repeat(64),
      { registry: 'localhost', repository: 'app', digest: 'sha256:' + 'a'.repeat(64) },
    ],
  ])('%s', (text, want) => {
    expect(parseImageReference(text)).toEqual(want);
  });
  it.each(['', 'UPPER/case', 'app@sha256:zz', 'app:bad tag'])('refuses %j', (text) => {
    expect(() => parseImageReference(text)).toThrow(/image reference/);
  });
});

describe('registry authentication', () => {
  it.each([
    [
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          service: 'registry.example',
          scope: 'repository:a/b:pull',
        },
      },
    ],
    ['Basic realm="palisade-test"', { scheme: 'basic', params: { realm: 'palisade-test' } }],
    ['Bearer realm="a\\"b",x=y', { scheme: 'bearer', params: { realm: 'a"b', x: 'y' } }],
  ])('parses challenge %s', (header, want) => {
    expect(parseChallenge(header)).toEqual(want);
  });

  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  it.each([
    [
      'auths by host',
      { auths: { 'r.example': { auth: b64('u:p:w') } } },
      { kind: 'auth', credentials: { kind: 'basic', username: 'u', password: 'p:w' } },
    ],
    [
      'auths by https URL',
      { auths: { 'https://r.example': { auth: b64('u:p') } } },
      { kind: 'auth', credentials: { kind: 'basic', username: 'u', password: 'p' } },
    ],
    [
      'identity token',
      { auths: { 'r.example': { identitytoken: 'tok' } } },
      { kind: 'auth', credentials: { kind: 'identity-token', token: 'tok' } },
    ],
    [
      'credHelpers before auths',
      { credHelpers: { 'r.example': 'ecr-login' }, auths: { 'r.example': { auth: b64('u:p') } } },
      { kind: 'helper', helper: 'ecr-login' },
    ],
    ['credsStore fallback', { credsStore: 'pass', auths: {} }, { kind: 'helper', helper: 'pass' }],
    ['nothing', { auths: { other: { auth: b64('u:p') } } }, { kind: 'none' }],
  ])('docker config: %s', (_l, config, want) => {
    expect(credentialSourceFromDockerConfig(JSON.stringify(config), 'r.example', 'config.json')).toEqual(
      want,
    );
  });
  it('a malformed auth is an error that does not quote it', () => {
    expect(() =>
      credentialSourceFromDockerConfig(
        JSON.stringify({ auths: { r: { auth: b64('secretnocolon') } } }),
        'r',
        'c.json',
      ),
    ).toThrow(/^c\.json: auths entry for r is not base64 of user:password$/);
  });
  it('reads helper answers', () => {
    expect(parseHelperOutput('{"Username":"u","Secret":"s"}', 'x')).toEqual({
      kind: 'basic',
      username: 'u',
      password: 's',
    });
    expect(parseHelperOutput('{"Username":"<token>","Secret":"t"}', 'x')).toEqual({
      kind: 'identity-token',
      token: 't',
    });
    expect(parseHelperOutput('{"Username":"u","Secret":""}', 'x')).toBeUndefined();
  });
});

describe('manifests and indexes', () => {
  const d = (c: string): string => `sha256:${c.repeat(64)}`;
  const index = parseManifest(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { digest: d('a'), size: 1, mediaType: 'x', platform: { os: 'linux', architecture: 'amd64' } },
        {
          digest: d('b'),
          size: 1,
          mediaType: 'x',
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
        { digest: d('c'), size: 1, mediaType: 'x', platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    }),
    'i',
  );
  it('chooses by platform, defaults to linux/amd64, ignores attestations', () => {
    if (index.kind !== 'index') throw new Error('not an index');
    expect(selectFromIndex(index.manifests, { os: 'linux', architecture: 'arm64' }, 'i').digest).toBe(d('b'));
    expect(selectFromIndex(index.manifests, undefined, 'i').digest).toBe(d('a'));
    expect(() => selectFromIndex(index.manifests, { os: 'windows', architecture: 'amd64' }, 'i')).toThrow(
      'i: no manifest for platform windows/amd64; available: linux/amd64, linux/arm64/v8',
    );
  });
  it('refuses schema 1 and layers without digests', () => {
    expect(() => parseManifest('{"schemaVersion":1,"fsLayers":[]}', 'm')).toThrow(/schema 1/);
    expect(() =>
      parseManifest(
        JSON.stringify({ schemaVersion: 2, config: { digest: d('a') }, layers: [{ digest: 'md5:x' }] }),
        'm',
      ),
    ).toThrow(/layers\[0\]: descriptor without a valid digest/);
  });
});

describe('local sources', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'palisade-sources-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const dpkgLayer = (): Promise<Buffer> =>
    buildTar([
      { name: 'etc/os-release', data: 'ID=debian\nVERSION_ID="12"\n' },
      {
        name: 'var/lib/dpkg/status',
        data: 'Package: a\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n',
      },
    ]);

  it('reads a docker save archive and removes its scratch directory on close', async () => {
    const file = path.join(dir, 'image.tar');
    const scratchRoot = path.join(dir, 'scratch');
    await (await import('node:fs/promises')).mkdir(scratchRoot);
    await writeDockerArchive(file, [await dpkgLayer(), await buildTar([{ name: 'app/x', data: 'x' }])]);
    const source = await openDockerArchive(file, { scratchRoot });
    expect(await readdir(scratchRoot)).toHaveLength(1);
    const result = await scanImage(source);
    await source.close();
    expect(await readdir(scratchRoot)).toEqual([]);
    expect(result.packages.map((p) => p.purl)).toEqual([
      'pkg:deb/debian/a@1.0-1?arch=amd64&distro=debian-12',
    ]);
    expect(result.packages[0]?.location.layerDigest).toBe(result.layers[0]);
  });

  it('an archive entry escaping the tree is an input error', async () => {
    const file = path.join(dir, 'evil.tar');
    await writeFile(file, await buildTar([{ name: '../../evil', data: 'x' }]));
    await expect(openDockerArchive(file, { scratchRoot: dir })).rejects.toThrow(
      /entry "..\/..\/evil": path traversal/,
    );
  });

  it('a gzip archive that expands like a bomb is an input error naming the entry', async () => {
    const { gzipSync } = await import('node:zlib');
    const file = path.join(dir, 'bomb.tar.gz');
    await writeFile(
      file,
      gzipSync(await buildTar([{ name: 'zeros', data: Buffer.alloc(80 * 1024 * 1024) }]), { level: 9 }),
    );
    await expect(openDockerArchive(file, { scratchRoot: dir })).rejects.toThrow(
      /entry "zeros": decompresses more than 200 times/,
    );
  });

  it('reads an OCI layout by tag, and says which tags exist when one is missing', async () => {
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, [{ layers: [await dpkgLayer()], compression: 'zstd' }], { tag: 'v1' });
    const result = await scanImage(await openOciLayout(`${layout}:v1`));
    expect(result.packages).toHaveLength(1);
    await expect(openOciLayout(`${layout}:v2`)).rejects.toThrow(/no image tagged "v2"/);
    await expect(openOciLayout(path.join(dir, 'nothing'))).rejects.toThrow(/not an OCI image layout/);
  });
});
