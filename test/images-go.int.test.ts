import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openOciLayout, scanImage } from '../src/images/index.js';
import { buildTar, writeOciLayout } from '../src/images/testing.js';

const go = spawnSync('go', ['version'], { encoding: 'utf8' });
const goVersion = /go version (go\S+)/.exec(go.stdout ?? '')?.[1];
if (goVersion === undefined) console.log('images-go: skipped: the Go toolchain is not installed');

describe.skipIf(goVersion === undefined)('a real Go binary inside an image', () => {
  let dir = '';
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('reports the toolchain version as stdlib and the main module path', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'palisade-go-'));
    await writeFile(path.join(dir, 'go.mod'), 'module example.com/hello\n\ngo 1.22\n');
    await writeFile(
      path.join(dir, 'main.go'),
      'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n',
    );
    execFileSync('go', ['build', '-buildvcs=false', '-o', 'hello', '.'], {
      cwd: dir,
      env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', CGO_ENABLED: '0' },
    });
    const binary = await readFile(path.join(dir, 'hello'));
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, [
      { layers: [await buildTar([{ name: 'usr/local/bin/hello', data: binary, mode: 0o755 }])] },
    ]);
    const result = await scanImage(await openOciLayout(layout));
    const version = `v${(goVersion ?? '').replace(/^go/, '')}`;
    expect(result.packages.map((p) => [p.name, p.version, p.purl, p.location.path])).toEqual([
      ['stdlib', version, `pkg:golang/stdlib@${version}`, '/usr/local/bin/hello'],
    ]);
  }, 180_000);
});
