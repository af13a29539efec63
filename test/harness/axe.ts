import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** One accessibility rule an axe-core pass found broken, with where. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

let axeSource: string | undefined;

function source(): string {
  if (axeSource === undefined) {
    const file = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
    axeSource = readFileSync(file, 'utf8');
  }
  return axeSource;
}

/**
 * Runs axe-core (WCAG 2 A and AA rules) on the page and returns the serious and critical
 * violations. axe is evaluated through the DevTools protocol, which the page's CSP does not
 * govern, so the dashboard keeps its strict policy while it is checked.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded: unknown = await page.evaluate('typeof window.axe');
  if (loaded !== 'object') await page.evaluate(source());
  const raw: unknown = await page.evaluate(`(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => String(n.target)) }));
  })()`);
  const all = raw as AxeViolation[];
  return all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
