import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/** Folder of the harness sources (go.mod, main.go, build.sh). */
export const HARNESS_DIR = import.meta.dirname;
/** Root of the repository the harness belongs to. */
export const REPO_ROOT = path.resolve(HARNESS_DIR, '../..');

/** Kubernetes release the harness builds, read from go.mod. */
export function harnessKubernetesVersion(): string {
  const gomod = readFileSync(path.join(HARNESS_DIR, 'go.mod'), 'utf8');
  const m = /^[ \t]*k8s\.io\/kubernetes (v\S+)/m.exec(gomod);
  if (!m?.[1]) throw new Error('test/harness/go.mod does not require k8s.io/kubernetes');
  return m[1];
}

/**
 * Where build.sh puts the binary for the current sources: the cache folder (PALISADE_HARNESS_CACHE
 * or .harness-cache/ at the repository root) and a name keyed by the Kubernetes version and a
 * hash of go.mod, go.sum, main.go and build.sh. Keep in step with build.sh.
 */
export function harnessBinaryPath(env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go', 'build.sh'])
    hash.update(readFileSync(path.join(HARNESS_DIR, f)));
  const key = hash.digest('hex').slice(0, 12);
  const cache = env.PALISADE_HARNESS_CACHE ?? path.join(REPO_ROOT, '.harness-cache');
  return path.join(cache, `palisade-harness-${harnessKubernetesVersion()}-${key}`);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether the Go toolchain is on PATH. */
export function goAvailable(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

/** Whether a real kube-apiserver can be started here; reason says why not. */
export function harnessStatus(): { ok: true; binary: string } | { ok: false; reason: string } {
  const override = process.env.PALISADE_HARNESS_BINARY;
  if (override !== undefined && override !== '') {
    return isExecutable(override)
      ? { ok: true, binary: override }
      : { ok: false, reason: `PALISADE_HARNESS_BINARY=${override} is not an executable file` };
  }
  const binary = harnessBinaryPath();
  if (isExecutable(binary)) return { ok: true, binary };
  if (!goAvailable()) {
    return {
      ok: false,
      reason: `Go is not installed, so the kube-apiserver ${harnessKubernetesVersion()} harness cannot be built (install Go, then run bash test/harness/build.sh)`,
    };
  }
  return {
    ok: false,
    reason: `the kube-apiserver ${harnessKubernetesVersion()} harness is not built yet (run bash test/harness/build.sh; ${existsSync(path.dirname(binary)) ? 'no binary for the current sources' : 'nothing cached'})`,
  };
}

/** True when running under CI (`CI=true`), where a missing prerequisite fails instead of skipping. */
export function inCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}
