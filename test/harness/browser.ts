import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './status.js';

// Browser helpers usable outside vitest (the benchmark imports them too).

/** Where the system browser is: PALISADE_CHROMIUM, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = env.PALISADE_CHROMIUM
    ? [env.PALISADE_CHROMIUM]
    : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
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
