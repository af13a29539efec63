/**
 * Image scan at size: PALISADE_BENCH_RECORDS (default 200,000) OSV records generated in OSV's
 * schema (bench/_osv-corpus.ts) and imported into a fresh database; an image of about
 * PALISADE_BENCH_IMAGE_MB (default 500) MB of files in five gzip layers (a dpkg status, npm
 * package.json and Python METADATA files naming packages of the corpus, and filler files about
 * half random) pushed with skopeo to Debian's docker-registry on 127.0.0.1 (TLS + htpasswd).
 *
 * Measured, each in its own child process: the whole `palisade image scan REF` with a cold blob
 * cache (pull, layers streamed, SBOM, vulnerability match, JSON report) and its peak RSS; the
 * same scan with the cache warm; and the floor: the same blobs streamed through gunzip and a tar
 * parser alone, keeping nothing. The ratio is the warm scan over the floor (both read the same
 * files from disk); the cold scan adds the transfer from the registry. DB open: median of five.
 */
import { spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { writeOciLayout } from '../src/images/testing.js';
import { importOsv, openVulnDb, VulnDb } from '../src/vulndb/index.js';
// Not registry.ts: that one also exports the vitest gate, which only loads inside vitest.
import { REGISTRY_BIN, startTestRegistry } from '../test/harness/registry-server.js';
import { samplePackages, writeOsvCorpus } from './_osv-corpus.js';

const MIB = 1024 * 1024;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** 1 MiB chunks about half random bytes, half words: gzip takes them to roughly 55%. */
function fillerChunks(n: number): Buffer[] {
  const r = rng(3);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'config', 'value', 'return', 'function', 'import'];
  return Array.from({ length: n }, () => {
    const b = Buffer.allocUnsafe(MIB);
    let i = 0;
    while (i < MIB) {
      if (r() < 0.5) {
        const len = Math.min(64, MIB - i);
        for (let k = 0; k < len; k++) b[i + k] = Math.floor(r() * 256);
        i += len;
      } else {
        const w = Buffer.from(`${words[Math.floor(r() * words.length)] ?? ''} `);
        i += w.copy(b, i);
      }
    }
    return b;
  });
}

async function writeLayer(
  file: string,
  entries: { name: string; data: Buffer }[],
  fillerMiB: number,
  chunks: Buffer[],
  offset: number,
): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createWriteStream(file));
  const add = (name: string, data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      pack.entry({ name, size: data.length }, data, (e) => {
        if (e) reject(e);
        else resolve();
      });
    });
  for (const e of entries) await add(e.name, e.data);
  for (let i = 0; i < fillerMiB; i++) {
    await add(`usr/share/bench/f${offset}-${i}.bin`, chunks[(offset + i) % chunks.length] ?? Buffer.alloc(0));
  }
  pack.finalize();
  await done;
}

interface ChildResult {
  seconds: number;
  peakRssMiB: number;
  code?: number;
  entries?: number;
}

function child(args: string[], env: Record<string, string>): ChildResult {
  const script = path.join(import.meta.dirname, '_image-child.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 16 * MIB,
  });
  if (r.status !== 0) throw new Error(`child ${args[0] ?? ''} exited ${r.status ?? r.signal}: ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildResult;
}

export async function run(): Promise<string> {
  const missing = [REGISTRY_BIN, '/usr/bin/skopeo'].filter((b) => !existsSync(b));
  if (missing.length > 0)
    throw new Error(`bench image needs ${missing.join(' and ')} (Debian docker-registry, skopeo)`);
  const total = Number(process.env.PALISADE_BENCH_RECORDS ?? 200_000);
  const imageMiB = Number(process.env.PALISADE_BENCH_IMAGE_MB ?? 500);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-image-'));
  const registry = await startTestRegistry();
  try {
    let t = performance.now();
    const zips = writeOsvCorpus(dir, total);
    const dbFile = path.join(dir, 'vulndb.sqlite');
    const db = VulnDb.openForWrite(dbFile);
    const report = await importOsv(db, zips);
    db.close();
    console.log(
      `database: ${report.records} OSV records generated and imported in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    t = performance.now();
    const packages = samplePackages(3000);
    const deb = packages.filter((p) => p.ecosystem === 'Debian:12');
    const npm = packages.filter((p) => p.ecosystem === 'npm');
    const pypi = packages.filter((p) => p.ecosystem === 'PyPI');
    const status = deb
      .map(
        (p) =>
          `Package: ${p.name}\nStatus: install ok installed\nVersion: ${p.version}\nArchitecture: amd64\n`,
      )
      .join('\n');
    const chunks = fillerChunks(48);
    const layers: { file: string }[] = [];
    const perLayer = Math.floor(imageMiB / 5);
    for (let l = 0; l < 5; l++) {
      const entries: { name: string; data: Buffer }[] = [];
      if (l === 0) {
        entries.push({
          name: 'etc/os-release',
          data: Buffer.from('ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'),
        });
        entries.push({ name: 'var/lib/dpkg/status', data: Buffer.from(status) });
      }
      npm
        .filter((_, i) => i % 5 === l)
        .forEach((p, i) =>
          entries.push({
            name: `app${l}/node_modules/${p.name}/package.json`.replace(/\/\.\//g, '/'),
            data: Buffer.from(
              JSON.stringify({ name: p.name, version: p.version, description: `module ${i}` }),
            ),
          }),
        );
      pypi
        .filter((_, i) => i % 5 === l)
        .forEach((p) =>
          entries.push({
            name: `usr/lib/python3/site-packages/${p.name}-${p.version}.dist-info/METADATA`,
            data: Buffer.from(`Metadata-Version: 2.1\nName: ${p.name}\nVersion: ${p.version}\n`),
          }),
        );
      const file = path.join(dir, `layer${l}.tar`);
      await writeLayer(file, entries, perLayer, chunks, l * perLayer);
      layers.push({ file });
    }
    const layout = path.join(dir, 'layout');
    const written = await writeOciLayout(layout, [{ layers }], { tag: 'v1' });
    for (const l of layers) rmSync(l.file);
    const blobDir = path.join(layout, 'blobs', 'sha256');
    const compressed = readdirSync(blobDir).reduce((n, f) => n + statSync(path.join(blobDir, f)).size, 0);
    await registry.push(`${layout}:v1`, 'bench/big:v1');
    console.log(
      `image: ${imageMiB} MiB of files in 5 gzip layers (${(compressed / MIB).toFixed(0)} MiB compressed), ${deb.length} dpkg + ${npm.length} npm + ${pypi.length} PyPI packages, built and pushed in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    const opens: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      openVulnDb(dbFile).close();
      opens.push(performance.now() - t0);
    }
    const openMs = [...opens].sort((a, b) => a - b)[2] ?? NaN;

    const dockerDir = path.join(dir, 'docker');
    mkdirSync(dockerDir);
    writeFileSync(
      path.join(dockerDir, 'config.json'),
      JSON.stringify({
        auths: {
          [registry.host]: {
            auth: Buffer.from(`${registry.username}:${registry.password}`).toString('base64'),
          },
        },
      }),
    );
    writeFileSync(path.join(dir, 'ca.pem'), registry.caPem);
    const cache = path.join(dir, 'cache');
    const env = {
      PALISADE_BENCH_CA: path.join(dir, 'ca.pem'),
      PALISADE_BENCH_CACHE: cache,
      PALISADE_VULN_DB: dbFile,
      DOCKER_CONFIG: dockerDir,
    };
    const ref = `${registry.host}/bench/big:v1`;
    const out = path.join(dir, 'scan.json');
    const cold = child(['scan', ref, out], env);
    if (cold.code !== 0) throw new Error(`scan exited ${cold.code ?? '?'}`);
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      packages: unknown[];
      findings: unknown[];
      manifestDigest?: string;
    };
    if (result.manifestDigest !== written.digest) throw new Error('scanned another image');
    const warm = child(['scan', ref, out], env);
    const layerBlobs =
      written.images[0]?.layerDigests.map((d) => path.join(cache, 'sha256', d.slice(7))) ?? [];
    const floor = child(['floor', ...layerBlobs], env);
    console.log(
      `scan (cold cache: pull + layers + SBOM + match): ${cold.seconds.toFixed(1)} s, peak RSS ${cold.peakRssMiB.toFixed(0)} MiB; ${result.packages.length} packages, ${result.findings.length} findings`,
    );
    console.log(
      `scan (warm cache): ${warm.seconds.toFixed(1)} s, peak RSS ${warm.peakRssMiB.toFixed(0)} MiB; floor (gunzip + tar of the same blobs): ${floor.seconds.toFixed(1)} s (${floor.entries ?? 0} entries), peak RSS ${floor.peakRssMiB.toFixed(0)} MiB`,
    );
    console.log(`db open: median ${openMs.toFixed(1)} ms (${opens.map((o) => o.toFixed(1)).join(', ')})`);
    const peak = Math.max(cold.peakRssMiB, warm.peakRssMiB);
    return `bench image: db_open_ms=${openMs.toFixed(1)} scan_s=${cold.seconds.toFixed(1)} peak_rss_mib=${peak.toFixed(0)} ratio_to_floor=${(warm.seconds / floor.seconds).toFixed(2)}`;
  } finally {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
