import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { collectImageFiles } from '../layers.js';
import { buildTar } from '../testing.js';
import { catalogPackages, wantedByCatalogers } from './index.js';
import { buildRpmHeader, parseRpmHeader, parseSourceRpm, rpmVersion } from './rpm.js';

describe('rpm headers', () => {
  it('reads name, epoch, version, release, arch and source rpm', () => {
    const h = buildRpmHeader({
      name: 'openssl-libs',
      version: '3.0.7',
      release: '27.el9',
      epoch: 1,
      arch: 'x86_64',
      sourceRpm: 'openssl-3.0.7-27.el9.src.rpm',
    });
    const r = parseRpmHeader(h);
    expect(r).toEqual({
      name: 'openssl-libs',
      version: '3.0.7',
      release: '27.el9',
      epoch: 1,
      arch: 'x86_64',
      sourceRpm: 'openssl-3.0.7-27.el9.src.rpm',
    });
    expect(r === undefined ? '' : rpmVersion(r)).toBe('1:3.0.7-27.el9');
    expect(parseSourceRpm('openssl-3.0.7-27.el9.src.rpm')).toEqual({
      name: 'openssl',
      version: '3.0.7-27.el9',
    });
  });
  it.each([
    ['empty', Buffer.alloc(0)],
    ['index count beyond the blob', Buffer.from([0, 0, 0, 9, 0, 0, 0, 0])],
    ['no name', buildRpmHeader({ name: '', version: '1', release: '1' })],
  ])('refuses %s', (_l, blob) => {
    expect(parseRpmHeader(blob)).toBeUndefined();
  });
});

describe('rpmdb.sqlite in an image', () => {
  it('lists the packages of the Packages table with Red Hat purls', async () => {
    const require = createRequire(import.meta.url);
    const Database = require('better-sqlite3') as new (f: string) => {
      exec(sql: string): void;
      prepare(sql: string): { run(...a: unknown[]): void };
      serialize(): Buffer;
      close(): void;
    };
    const db = new Database(':memory:');
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    insert.run(
      buildRpmHeader({
        name: 'bash',
        version: '5.1.8',
        release: '9.el9',
        arch: 'x86_64',
        sourceRpm: 'bash-5.1.8-9.el9.src.rpm',
      }),
    );
    insert.run(buildRpmHeader({ name: 'gpg-pubkey', version: 'fd431d51', release: '4ae0493b' }));
    insert.run(
      buildRpmHeader({ name: 'openssl-libs', version: '3.0.7', release: '27.el9', epoch: 1, arch: 'x86_64' }),
    );
    const data = db.serialize();
    db.close();
    const layer = await buildTar([
      { name: 'etc/os-release', data: 'ID="rhel"\nVERSION_ID="9.3"\n' },
      { name: 'var/lib/rpm/rpmdb.sqlite', data },
    ]);
    const digest = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    const view = await collectImageFiles([{ digest }], () => Promise.resolve(Readable.from([layer])), {
      wants: (p) => wantedByCatalogers(p),
    });
    const { packages } = catalogPackages(view);
    expect(packages.map((p) => [p.name, p.version, p.purl, p.ecosystem, p.source?.name])).toEqual([
      [
        'bash',
        '5.1.8-9.el9',
        'pkg:rpm/redhat/bash@5.1.8-9.el9?arch=x86_64&distro=rhel-9.3',
        'Red Hat',
        'bash',
      ],
      [
        'openssl-libs',
        '1:3.0.7-27.el9',
        'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.3&epoch=1',
        'Red Hat',
        undefined,
      ],
    ]);
    expect(packages[0]?.location).toEqual({ layerDigest: digest, path: '/var/lib/rpm/rpmdb.sqlite' });
  });
});
