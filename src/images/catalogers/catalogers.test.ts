import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { collectImageFiles } from '../layers.js';
import { buildTar, type TestEntry } from '../testing.js';
import { parseApkInstalled } from './apk.js';
import { parseDpkgStatus } from './dpkg.js';
import { catalogPackages, wantedByCatalogers } from './index.js';
import { isInstalledPackageJson, parseInstalledPackageJson, parsePackageLock } from './npm.js';
import { distroEcosystem, parseOsRelease } from './os-release.js';
import { isPythonMetadata, parsePythonMetadata } from './python.js';
import { isGemspec, parseGemspec } from './ruby.js';

describe('os-release', () => {
  it.each([
    ['ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n', 'Debian:12', 'bookworm'],
    [
      'ID=ubuntu\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_ID="22.04"\n',
      'Ubuntu:22.04:LTS',
      undefined,
    ],
    ['ID=alpine\nVERSION_ID=3.19.1\n', 'Alpine:v3.19', undefined],
    ["ID='rhel'\nVERSION_ID='9.3'\n", 'Red Hat', undefined],
    ['ID=plan9\n', undefined, undefined],
  ])('%j', (text, ecosystem, codename) => {
    const d = parseOsRelease(text);
    expect(distroEcosystem(d)).toBe(ecosystem);
    expect(d?.codename).toBe(codename);
  });
  it('no ID is no distribution', () => {
    expect(parseOsRelease('NAME=x\n')).toBeUndefined();
  });
});

describe('dpkg status', () => {
  const status = [
    'Package: libc6',
    'Status: install ok installed',
    'Architecture: amd64',
    'Source: glibc',
    'Version: 2.36-9+deb12u4',
    'Description: GNU C Library',
    ' continuation: not a field',
    '',
    'Package: libssl3',
    'Status: install ok installed',
    'Architecture: amd64',
    'Source: openssl (3.0.11-1~deb12u2)',
    'Version: 3.0.11-1~deb12u2+b1',
    '',
    'Package: removed',
    'Status: deinstall ok config-files',
    'Version: 1.0',
    '',
    'Package: noversion',
    'Status: install ok installed',
    '',
  ].join('\n');
  it('keeps installed records with their source package', () => {
    expect(parseDpkgStatus(status)).toEqual([
      {
        package: 'libc6',
        version: '2.36-9+deb12u4',
        architecture: 'amd64',
        state: 'installed',
        source: { name: 'glibc', version: '2.36-9+deb12u4' },
      },
      {
        package: 'libssl3',
        version: '3.0.11-1~deb12u2+b1',
        architecture: 'amd64',
        state: 'installed',
        source: { name: 'openssl', version: '3.0.11-1~deb12u2' },
      },
    ]);
  });
  it('status.d records have no Status field', () => {
    expect(parseDpkgStatus('Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n')).toHaveLength(1);
  });
});

describe('apk installed', () => {
  it('reads records separated by blank lines', () => {
    const text =
      'C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:libc.so\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\n';
    expect(parseApkInstalled(text)).toEqual([
      {
        package: 'musl',
        version: '1.2.4_git20230717-r4',
        architecture: 'x86_64',
        license: 'MIT',
        origin: 'musl',
      },
      { package: 'busybox', version: '1.36.1-r15', architecture: 'x86_64' },
    ]);
  });
});

describe('npm', () => {
  it.each([
    [
      'v1 nested dependencies',
      {
        lockfileVersion: 1,
        dependencies: {
          a: { version: '1.0.0', dependencies: { b: { version: '2.0.0' } } },
          l: { version: 'file:../l' },
        },
      },
      ['a@1.0.0', 'b@2.0.0'],
    ],
    [
      'v2/v3 packages',
      {
        lockfileVersion: 3,
        packages: {
          '': { name: 'root', version: '0.0.1' },
          'node_modules/@scope/x': { version: '3.1.0', license: 'MIT' },
          'node_modules/a/node_modules/b': { version: '2.1.0' },
          'node_modules/ws-link': { resolved: 'packages/w', link: true },
          'packages/w': { name: 'w', version: '1.0.0' },
          'node_modules/alias': { name: 'real-name', version: '4.0.0' },
        },
      },
      ['@scope/x@3.1.0', 'b@2.1.0', 'real-name@4.0.0'],
    ],
  ])('%s', (_l, doc, want) => {
    expect(parsePackageLock(JSON.stringify(doc))?.map((r) => `${r.name}@${r.version}`)).toEqual(want);
  });
  it('rejects what is not JSON', () => {
    expect(parsePackageLock('{')).toBeUndefined();
  });
  it.each([
    ['app/node_modules/a/package.json', true],
    ['app/node_modules/@s/a/package.json', true],
    ['app/node_modules/a/lib/package.json', false],
    ['app/package.json', false],
  ])('installed package.json %s', (p, want) => {
    expect(isInstalledPackageJson(p)).toBe(want);
  });
  it('reads name, version and licence', () => {
    expect(parseInstalledPackageJson('{"name":"a","version":"1.0.0","license":{"type":"ISC"}}', 'p')).toEqual(
      {
        name: 'a',
        version: '1.0.0',
        license: 'ISC',
        from: 'p',
      },
    );
    expect(parseInstalledPackageJson('{"name":"a"}', 'p')).toBeUndefined();
  });
});

describe('python', () => {
  it('reads core metadata headers up to the body', () => {
    expect(
      parsePythonMetadata(
        'Metadata-Version: 2.1\r\nName: Requests\r\nVersion: 2.31.0\r\nLicense: Apache 2.0\r\n\r\nName: body\n',
      ),
    ).toEqual({ name: 'Requests', version: '2.31.0', license: 'Apache 2.0' });
  });
  it.each([
    ['usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA', true],
    ['usr/lib/python3.11/site-packages/six.egg-info/PKG-INFO', true],
    ['usr/lib/python3/dist-packages/foo.egg-info', true],
    ['usr/share/doc/METADATA', false],
  ])('%s', (p, want) => {
    expect(isPythonMetadata(p)).toBe(want);
  });
});

describe('ruby gemspecs', () => {
  it('reads name, version and licences without evaluating anything', () => {
    const text = [
      '# -*- encoding: utf-8 -*-',
      '# stub: rack 2.2.8 ruby lib',
      'Gem::Specification.new do |s|',
      '  s.name = "rack".freeze',
      '  s.version = "2.2.8"',
      '  s.licenses = ["MIT".freeze, \'BSD-2-Clause\']',
      '  s.summary = "name = \\"not this\\"".freeze',
      'end',
    ].join('\n');
    expect(parseGemspec(text)).toEqual({ name: 'rack', version: '2.2.8', licenses: ['MIT', 'BSD-2-Clause'] });
    expect(parseGemspec('s.name = "x"')).toBeUndefined();
  });
  it.each([
    ['usr/local/bundle/specifications/rack-2.2.8.gemspec', true],
    ['var/lib/gems/3.1.0/specifications/default/json-2.6.1.gemspec', true],
    ['app/rack.gemspec', false],
  ])('%s', (p, want) => {
    expect(isGemspec(p)).toBe(want);
  });
});

describe('catalogPackages over a synthetic image', () => {
  it('gives every package a purl, its ecosystem and the layer and path it came from', async () => {
    const base: TestEntry[] = [
      { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\n' },
      { name: 'lib/apk/db/installed', data: 'P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\n' },
    ];
    const app: TestEntry[] = [
      { name: 'app/node_modules/@scope/x/package.json', data: '{"name":"@scope/x","version":"1.2.3"}' },
      {
        name: 'usr/lib/python3.11/site-packages/Flask_Foo-1.0.dist-info/METADATA',
        data: 'Name: Flask_Foo\nVersion: 1.0\n',
      },
      { name: 'app/unrelated.txt', data: 'x' },
    ];
    const layers = [await buildTar(base), await buildTar(app)];
    const digest = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    const view = await collectImageFiles(
      layers.map((l) => ({ digest: digest(l) })),
      (d) => Promise.resolve(Readable.from([layers.find((l) => digest(l) === d) ?? Buffer.alloc(0)])),
      { wants: (p) => wantedByCatalogers(p) },
    );
    expect(view.files.has('app/unrelated.txt')).toBe(false);
    const { packages } = catalogPackages(view);
    expect(packages.map((p) => [p.purl, p.ecosystem, p.location.path, p.location.layerDigest])).toEqual([
      [
        'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1',
        'Alpine:v3.19',
        '/lib/apk/db/installed',
        digest(layers[0] ?? Buffer.alloc(0)),
      ],
      [
        'pkg:npm/%40scope/x@1.2.3',
        'npm',
        '/app/node_modules/@scope/x/package.json',
        digest(layers[1] ?? Buffer.alloc(0)),
      ],
      [
        'pkg:pypi/flask-foo@1.0',
        'PyPI',
        '/usr/lib/python3.11/site-packages/Flask_Foo-1.0.dist-info/METADATA',
        digest(layers[1] ?? Buffer.alloc(0)),
      ],
    ]);
  });
});
