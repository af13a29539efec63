import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openOciLayout, scanImage } from '../src/images/index.js';
import { writeOciLayout } from '../src/images/testing.js';
import { requireDebianRootOrSkip } from './harness/debian-root.js';

const root = requireDebianRootOrSkip();
if (!root.run) console.log(`images-debian: skipped: ${root.reason}`);

describe.skipIf(!root.run)('a real Debian bookworm minbase root packed into an OCI layout', () => {
  let dir = '';
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('lists exactly the packages dpkg-query lists on that root', async () => {
    if (!root.run) return;
    dir = await mkdtemp(path.join(tmpdir(), 'palisade-debian-'));
    const layout = path.join(dir, 'layout');
    const written = await writeOciLayout(layout, [{ layers: [{ file: root.tar }] }], { tag: 'bookworm' });
    // dpkg-query reads the same database, unpacked from the same tar.
    const unpacked = path.join(dir, 'root');
    execFileSync('mkdir', ['-p', unpacked]);
    execFileSync('tar', ['-xf', root.tar, '-C', unpacked, './var/lib/dpkg']);
    const expected = execFileSync(
      'dpkg-query',
      ['-W', '-f', '${Package}\\t${Version}\\n', `--admindir=${path.join(unpacked, 'var/lib/dpkg')}`],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .sort();

    const result = await scanImage(await openOciLayout(`${layout}:bookworm`));
    const listed = result.packages.map((p) => `${p.name}\t${p.version}`).sort();
    console.log(
      `images-debian: ${listed.length} packages from the image, ${expected.length} from dpkg-query`,
    );
    expect(expected.length).toBeGreaterThan(50);
    expect(listed).toEqual(expected);
    expect(result.distro?.codename).toBe('bookworm');
    const libc = result.packages.find((p) => p.name === 'libc6');
    expect(libc?.ecosystem).toBe('Debian:12');
    expect(libc?.source?.name).toBe('glibc');
    expect(libc?.purl).toMatch(/^pkg:deb\/debian\/libc6@.+\?arch=amd64&distro=debian-12$/);
    expect(libc?.location).toEqual({
      layerDigest: written.images[0]?.layerDigests[0],
      path: '/var/lib/dpkg/status',
    });
  }, 300_000);
});
