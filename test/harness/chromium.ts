import { accessSync, constants } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { inCI, REPO_ROOT } from './status.js';

/** Where the system browser is: PALISADE_CHROMIUM, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = env.PALISADE_CHROMIUM ? [env.PALISADE_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** Whether a browser suite runs, and why not. */
export interface ChromiumGate {
  run: boolean;
  executable?: string;
  reason?: string;
}

/**
 * Decides whether a suite that drives Chromium runs: skipped with a one-line reason when the
 * binary is absent, a failing test instead under `CI=true` (no browser is ever downloaded).
 */
export function requireChromiumOrSkip(): ChromiumGate {
  const executable = chromiumPath();
  if (executable) return { run: true, executable };
  const reason = 'chromium not found (install Debian chromium or set PALISADE_CHROMIUM)';
  if (inCI()) {
    it('has chromium (required under CI=true)', () => {
      throw new Error(`integration prerequisite missing: ${reason}`);
    });
  }
  return { run: false, reason };
}

/**
 * Builds the dashboard from `ui/` into a fresh temporary folder (the tests exercise the current
 * sources, never a stale `dist/ui`) and returns the folder and a function that removes it.
 */
export async function buildDashboard(): Promise<{ dir: string; dispose: () => void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-ui-'));
  const { build } = await import('vite');
  await build({
    configFile: path.join(REPO_ROOT, 'ui/vite.config.ts'),
    logLevel: 'error',
    build: { outDir: dir, emptyOutDir: true },
  });
  return {
    dir,
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
