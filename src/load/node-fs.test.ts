import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localNodeFs, MAX_NODE_FILE_BYTES } from './node-fs.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'palisade-node-fs-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
mkdirSync(path.join(root, 'etc/kubernetes'), { recursive: true });
writeFileSync(path.join(root, 'etc/kubernetes/small.yaml'), 'kind: KubeletConfiguration\n');
writeFileSync(path.join(root, 'etc/kubernetes/limit.yaml'), 'x'.repeat(64));
writeFileSync(path.join(root, 'etc/kubernetes/big.yaml'), 'x'.repeat(65));
mkdirSync(path.join(root, 'etc/kubernetes/dir.yaml'));
// Links on the scanning machine's own devices: the kind of tree a hostile --root holds.
symlinkSync('/dev/zero', path.join(root, 'etc/kubernetes/zero.yaml'));
symlinkSync('/dev/null', path.join(root, 'etc/kubernetes/null.yaml'));
const fifoSupported = process.platform !== 'win32';
if (fifoSupported) execFileSync('mkfifo', [path.join(root, 'etc/kubernetes/pipe.yaml')]);

describe('localNodeFs.readFile refuses what it must not read', () => {
  const fs = localNodeFs(root, { maxFileBytes: 64 });

  it.each([
    ['a regular file', '/etc/kubernetes/small.yaml', 'kind: KubeletConfiguration\n'],
    ['a file at the bound', '/etc/kubernetes/limit.yaml', 'x'.repeat(64)],
    ['a missing file', '/etc/kubernetes/missing.yaml', undefined],
  ])('reads %s', async (_name, file, text) => {
    expect(await fs.readFile(file)).toBe(text);
  });

  it.each([
    ['a file past the bound', '/etc/kubernetes/big.yaml', 'larger than 64 bytes, not read'],
    ['a directory', '/etc/kubernetes/dir.yaml', 'not a regular file (directory), not read'],
    [
      '/dev/zero behind a link',
      '/etc/kubernetes/zero.yaml',
      'not a regular file (character device), not read',
    ],
    [
      '/dev/null behind a link',
      '/etc/kubernetes/null.yaml',
      'not a regular file (character device), not read',
    ],
  ])('refuses %s', async (_name, file, message) => {
    await expect(fs.readFile(file)).rejects.toThrow(message);
  });

  it.runIf(fifoSupported)('refuses a named pipe without waiting for a writer', async () => {
    await expect(fs.readFile('/etc/kubernetes/pipe.yaml')).rejects.toThrow(
      'not a regular file (named pipe), not read',
    );
  });

  it('bounds at 1 MiB by default', async () => {
    writeFileSync(path.join(root, 'etc/kubernetes/huge.yaml'), Buffer.alloc(MAX_NODE_FILE_BYTES + 1, 0x61));
    await expect(localNodeFs(root).readFile('/etc/kubernetes/huge.yaml')).rejects.toThrow(
      `larger than ${MAX_NODE_FILE_BYTES} bytes`,
    );
    expect(MAX_NODE_FILE_BYTES).toBe(1024 * 1024);
  });
});
