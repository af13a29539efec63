/**
 * The dashboard's half of `bench serve`: the UI's bundle size gzipped, and its first meaningful
 * render in chromium (navigation start to the overview showing the demo data, marked by the app
 * as `palisade:first-meaningful-render`), each load in a fresh browser context (cold cache).
 *
 * Baseline in the same run: the same loads' DOMContentLoaded (the page and its scripts parsed),
 * so `render_ratio` says how much the data fetches and the first React render add on top.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { buildDashboard, chromiumPath } from '../test/harness/browser.js';
import { startDashboard } from '../test/harness/dashboard.js';

/** The UI's figures; null where chromium is absent. */
export interface UiBenchResult {
  bundleKb: number;
  renderMs: number | null;
  renderP90Ms: number | null;
  domReadyMs: number | null;
  note?: string;
}

const LOADS = 7;
const MARK = 'palisade:first-meaningful-render';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Sum of the gzipped sizes (level 9) of every file the built UI serves, in kB (1000 bytes). */
export function bundleSizeKb(uiDir: string): number {
  let total = 0;
  for (const f of files(uiDir)) total += gzipSync(readFileSync(f), { level: 9 }).byteLength;
  return total / 1000;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Builds the UI, serves the demo data without auth on loopback, and loads the overview cold. */
export async function benchUi(log: (line: string) => void): Promise<UiBenchResult> {
  const ui = await buildDashboard();
  try {
    const bundleKb = bundleSizeKb(ui.dir);
    log(`ui bundle: ${bundleKb.toFixed(1)} kB gzipped (${files(ui.dir).length} files)`);
    const executable = chromiumPath();
    if (!executable)
      return { bundleKb, renderMs: null, renderP90Ms: null, domReadyMs: null, note: 'chromium absent' };
    const server = await startDashboard({ uiDir: ui.dir });
    const browser = await chromium.launch({ executablePath: executable, headless: true, timeout: 20_000 });
    try {
      const renders: number[] = [];
      const ready: number[] = [];
      // One warm-up load so the server's first-request work (engines, caches) is not counted.
      for (let i = 0; i <= LOADS; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await context.newPage();
        await page.goto(`${server.url}/#/overview`);
        // The page's CSP forbids eval, so wait on the DOM and then read the mark (set by an
        // effect right after that render), giving it a few frames if it is not there yet.
        await page.getByTestId('severity-cards').waitFor({ timeout: 20_000 });
        await page.evaluate(`new Promise((done) => {
          let frames = 0;
          const check = () => (performance.getEntriesByName(${JSON.stringify(MARK)}).length > 0 || ++frames > 60 ? done() : requestAnimationFrame(check));
          check();
        })`);
        const t = await page.evaluate<{ render: number; dcl: number }>(`({
          render: performance.getEntriesByName(${JSON.stringify(MARK)})[0].startTime,
          dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
        })`);
        await context.close();
        if (i === 0) continue;
        renders.push(t.render);
        ready.push(t.dcl);
      }
      renders.sort((a, b) => a - b);
      ready.sort((a, b) => a - b);
      const renderMs = percentile(renders, 50);
      const domReadyMs = percentile(ready, 50);
      const renderP90Ms = percentile(renders, 90);
      log(
        `ui first meaningful render: median ${renderMs.toFixed(0)} ms, p90 ${renderP90Ms.toFixed(0)} ms over ${LOADS} cold loads (DOMContentLoaded median ${domReadyMs.toFixed(0)} ms)`,
      );
      return { bundleKb, renderMs, renderP90Ms, domReadyMs };
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    ui.dispose();
  }
}
