import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type ImageResultInput } from '../src/store/index.js';
import { seriousAxeViolations } from './harness/axe.js';
import { buildDashboard, requireChromiumOrSkip } from './harness/chromium.js';
import { startDashboard, type RunningDashboard } from './harness/dashboard.js';
import { imageStats } from './harness/screenshot.js';
import { REPO_ROOT } from './harness/status.js';

// The dashboard end to end: the UI built from ui/, served by the real server on loopback with
// the demo cluster's data, driven in Debian's chromium (never a downloaded browser).

const gate = requireChromiumOrSkip();
if (!gate.run) console.log(`dashboard browser suite skipped: ${gate.reason ?? ''}`);

const OUT = process.env.PALISADE_TEST_OUTPUT
  ? path.join(process.env.PALISADE_TEST_OUTPUT, 'dashboard')
  : path.join(REPO_ROOT, 'test-output', 'dashboard');
/** Also write the screenshots into docs/img (npm run docs:screenshots). */
const DOCS = process.env.PALISADE_DOCS_SCREENSHOTS === '1';
const TOKEN = 'viewer-token-for-the-browser-suite-0123456789';
const LAYER = `sha256:${'a1'.repeat(32)}`;
const DEMO_IMAGE: ImageResultInput = {
  digest: `sha256:${'4b'.repeat(32)}`,
  ref: 'registry.example.com/shop/api:1.4',
  scannedAt: Date.now() - 3_600_000,
  os: 'Debian GNU/Linux 12 (bookworm)',
  packages: 212,
  vulnDbTime: Date.now() - 86_400_000,
  detail: { source: 'registry', platform: 'linux/amd64', layers: [LAYER] },
  vulnerabilities: [
    {
      vulnId: 'CVE-2026-1001',
      aliases: ['GHSA-xxxx-yyyy-zzzz'],
      package: 'openssl',
      version: '3.0.11-1~deb12u2',
      fixedVersion: '3.0.13-1~deb12u1',
      severity: 'critical',
      cvss: 9.8,
      location: `${LAYER}:/var/lib/dpkg/status`,
    },
    {
      vulnId: 'CVE-2026-1002',
      aliases: [],
      package: 'zlib1g',
      version: '1:1.2.13.dfsg-1',
      severity: 'medium',
      location: `${LAYER}:/var/lib/dpkg/status`,
    },
    {
      vulnId: 'CVE-2026-1003',
      aliases: [],
      package: 'libc6',
      version: '2.36-9+deb12u3',
      fixedVersion: '2.36-9+deb12u4',
      severity: 'high',
      location: `${LAYER}:/var/lib/dpkg/status`,
      suppressed: { justification: 'vulnerable_code_not_present' },
    },
  ],
};

describe.skipIf(!gate.run)('dashboard in chromium', { timeout: 60_000 }, () => {
  let dashboard: RunningDashboard;
  let disposeUi: () => void = () => undefined;
  let storeDir: string | undefined;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const ui = await buildDashboard();
    disposeUi = ui.dispose;
    // Image results recorded beside the demo scans, as image scan --db records them.
    storeDir = mkdtempSync(path.join(tmpdir(), 'palisade-browser-store-'));
    const db = path.join(storeDir, 'palisade.db');
    const store = await openStore({ kind: 'sqlite', file: db });
    try {
      await store.recordImageResult(DEMO_IMAGE);
    } finally {
      await store.close();
    }
    dashboard = await startDashboard({ uiDir: ui.dir, tokens: [`${TOKEN} viewer`], db });
    browser = await chromium.launch({
      executablePath: gate.executable ?? '',
      headless: true,
      timeout: 20_000,
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    disposeUi();
    if (storeDir !== undefined) rmSync(storeDir, { recursive: true, force: true });
  });

  /** Screenshots the viewport, checks it is not blank, keeps it under the test output. */
  async function shoot(name: string): Promise<void> {
    await page.evaluate('document.fonts.ready');
    const png = await page.screenshot({ fullPage: false });
    writeFileSync(path.join(OUT, `${name}.png`), png);
    if (DOCS) {
      expect(png.byteLength, `docs/img/dashboard-${name}.png must stay under 200 kB`).toBeLessThan(200_000);
      mkdirSync(path.join(REPO_ROOT, 'docs/img'), { recursive: true });
      writeFileSync(path.join(REPO_ROOT, 'docs/img', `dashboard-${name}.png`), png);
    }
    expect(png.byteLength, `${name}.png size`).toBeGreaterThan(10_000);
    const stats = await imageStats(browser, png);
    expect(stats.width).toBe(1280);
    expect(stats.variance, `${name}.png pixel variance`).toBeGreaterThan(100);
    expect(stats.colours, `${name}.png colours`).toBeGreaterThan(8);
  }

  async function expectAccessible(name: string): Promise<void> {
    const violations = await seriousAxeViolations(page);
    expect(violations, `${name}: serious or critical axe violations`).toEqual([]);
  }

  async function visit(hash: string, ready: string): Promise<void> {
    await page.goto(`${dashboard.url}/${hash}`);
    await page.getByTestId(ready).first().waitFor();
  }

  it('refuses API calls without a token', async () => {
    const res = await fetch(`${dashboard.url}/api/v1/findings`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error?: { code?: string } };
    expect(body.error?.code).toBe('unauthorized');
    const forged = await fetch(`${dashboard.url}/api/v1/findings`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(forged.status).toBe(401);
  });

  it('shows the login page without a session and refuses a wrong token', async () => {
    await page.goto(`${dashboard.url}/#/findings?severity=high`);
    await page.getByLabel('Token').waitFor();
    expect(page.url()).toContain('#/login');
    await page.getByLabel('Token').fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('refused');
    await shoot('login');
    await expectAccessible('login');
  });

  it('signs in with a token and returns to the page asked for', async () => {
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('findings-table').waitFor();
    expect(page.url()).toContain('#/findings?severity=high');
    const cookies = await context.cookies();
    expect(cookies.some((c) => c.value.includes(TOKEN))).toBe(false);
  });

  it('overview: scores chart, severities, namespaces, changes and top risks', async () => {
    await visit('#/overview', 'overview');
    await page.getByTestId('severity-cards').waitFor();
    await page.getByTestId('score-chart').locator('canvas').first().waitFor();
    await page.getByTestId('changes').waitFor();
    await page.getByTestId('risky-workloads').waitFor();
    const total = Number(await page.getByTestId('severity-cards').locator('.num').first().textContent());
    expect(total).toBeGreaterThan(0);
    expect(await page.getByTestId('namespace-bars').locator('li').count()).toBeGreaterThan(0);
    await shoot('overview');
    await expectAccessible('overview');
  });

  it('findings: a severity filter lives in the URL and narrows every row', async () => {
    await visit('#/findings', 'findings-table');
    const all = await findingsCount(page);
    await page.locator('select[name=severity]').selectOption('critical');
    await expect.poll(() => page.url()).toContain('severity=critical');
    await expect.poll(() => findingsCount(page)).toBeLessThan(all);
    const badges = await page.getByTestId('findings-table').locator('tbody .sev').allTextContents();
    expect(badges.length).toBeGreaterThan(0);
    expect(new Set(badges)).toEqual(new Set(['critical']));
    // The same URL opened afresh shows the same rows: the filter is shareable.
    const shared = page.url();
    await page.goto('about:blank');
    await page.goto(shared);
    await page.getByTestId('findings-table').waitFor();
    expect(await page.locator('select[name=severity]').inputValue()).toBe('critical');
    expect(new Set(await page.getByTestId('findings-table').locator('tbody .sev').allTextContents())).toEqual(
      new Set(['critical']),
    );
  });

  it('findings: search narrows and a row opens its location, field path and remediation', async () => {
    await visit('#/findings', 'findings-table');
    const first = page.getByTestId('findings-table').locator('tbody tr').first();
    const control = (await first.locator('code').first().textContent()) ?? '';
    expect(control).not.toBe('');
    await page.getByRole('searchbox').fill(control);
    await page.getByRole('searchbox').press('Enter');
    await expect.poll(() => page.url()).toContain(`q=${encodeURIComponent(control)}`);
    await expect
      .poll(
        async () =>
          new Set(
            await page.getByTestId('findings-table').locator('tbody td:nth-child(2) code').allTextContents(),
          ),
      )
      .toEqual(new Set([control]));
    await page.getByTestId('findings-table').locator('tbody button.link-button').first().click();
    const detail = page.getByTestId('finding-detail');
    await detail.waitFor();
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('Field path');
    expect(text).toContain('Remediation');
    expect(text).toContain('First seen');
  });

  it('findings: sorting by name ascending then descending, from the keyboard', async () => {
    await visit('#/findings?sort=severity', 'findings-table');
    const header = page.getByTestId('findings-table').locator('button[data-sort-key="name"]');
    await header.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain('sort=name');
    await expect.poll(() => sortedBy(page, 5, false)).toBe(true);
    await page.getByTestId('findings-table').locator('button[data-sort-key="name"]').press('Enter');
    await expect.poll(() => page.url()).toContain('sort=-name');
    await expect.poll(() => sortedBy(page, 5, true)).toBe(true);
    expect(await page.getByTestId('findings-table').locator('th[aria-sort="descending"]').count()).toBe(1);
    await shoot('findings');
    await expectAccessible('findings');
  });

  it('findings: grouping by namespace', async () => {
    await visit('#/findings?group=namespace', 'findings-count');
    expect(await page.locator('details.group').count()).toBeGreaterThan(1);
  });

  it('rbac: a who-can query lists subjects with their binding path', async () => {
    await visit('#/rbac', 'whocan-form');
    await page.getByRole('textbox', { name: 'Verb' }).fill('get');
    await page.getByRole('textbox', { name: 'Resource' }).fill('secrets');
    await page.getByRole('button', { name: 'Ask' }).click();
    await expect.poll(() => page.url()).toContain('resource=secrets');
    await page.getByTestId('whocan-table').waitFor();
    const rows = page.getByTestId('whocan-table').locator('tbody tr');
    expect(await rows.count()).toBeGreaterThan(0);
    expect(await rows.first().textContent()).toMatch(/Binding\/|Role\//);
    await page.getByTestId('escalation-graph').or(page.getByText('No identity can reach')).first().waitFor();
    // Without --audit-log the unused-rights panel says what enables it.
    expect(await page.getByTestId('unused-enabled-by').textContent()).toContain('--audit-log');
    await shoot('rbac');
    await expectAccessible('rbac');
  });

  it('network: the reachability graph is drawn and its nodes take keyboard focus', async () => {
    await visit('#/network', 'network-graph');
    const graph = page.getByTestId('network-graph');
    const nodes = graph.locator('g.node');
    expect(await nodes.count()).toBeGreaterThan(1);
    expect(await graph.locator('path.edge').count()).toBeGreaterThan(0);
    await nodes.first().focus();
    expect(await nodes.first().getAttribute('class')).toContain('hot');
    expect(await page.getByTestId('connections-table').locator('tbody tr').count()).toBeGreaterThan(0);
    // The namespace filter narrows the graph to that namespace's connections, and is in the URL.
    const all = await nodes.count();
    await page.locator('select[name=namespace]').selectOption('storefront');
    await expect.poll(() => page.url()).toContain('namespace=storefront');
    await expect.poll(() => page.getByTestId('network-graph').locator('g.node').count()).toBeLessThan(all);
    await page.getByTestId('network-graph').locator('g.node').first().focus();
    await shoot('network');
    await expectAccessible('network');
  });

  it('drift: two scans side by side', async () => {
    await visit('#/drift', 'drift');
    expect(await page.getByTestId('drift-opened').count()).toBe(1);
    expect(await page.getByTestId('drift-closed').count()).toBe(1);
    // The demo's second scan adds the ops/ workloads: their images appear as added.
    expect(await page.getByTestId('drift-images').textContent()).toMatch(/\+ Deployment ops\//);
    await shoot('drift');
    await expectAccessible('drift');
  });

  it('images: the scanned images, and the vulnerabilities of one with VEX suppression shown', async () => {
    await visit('#/images', 'images-table');
    expect(await page.getByTestId('images-table').locator('tbody tr').count()).toBe(1);
    await page.getByTestId('image-select').first().click();
    await page.getByTestId('image-vulns-table').waitFor();
    const rows = page.getByTestId('image-vulns-table').locator('tbody tr');
    expect(await rows.count()).toBe(3);
    expect(await rows.first().textContent()).toContain('CVE-2026-1001');
    expect(await page.getByTestId('vex-suppressed').textContent()).toContain('vulnerable_code_not_present');
    await page.getByLabel('Severity').selectOption('critical');
    await expect.poll(() => rows.count()).toBe(1);
    expect(page.url()).toContain('severity=critical');
    await page.getByLabel('Severity').selectOption('');
    await expect.poll(() => rows.count()).toBe(3);
    await shoot('images');
    await expectAccessible('images');
  });

  it('alerts say what enables them or list them', async () => {
    await visit('#/alerts', 'alerts-enable');
    await shoot('alerts');
    await expectAccessible('alerts');
  });

  it('dark theme applies and stays accessible', async () => {
    await visit('#/overview', 'severity-cards');
    await page.getByTestId('theme-toggle').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.getByTestId('score-chart').locator('canvas').first().waitFor();
    await shoot('overview-dark');
    await expectAccessible('overview (dark)');
    await page.getByTestId('theme-toggle').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
  });

  it('ran without script errors or Content-Security-Policy refusals', () => {
    // The wrong-token sign-in answers 401, which the browser logs as a failed resource load.
    const unexpected = pageErrors.filter((e) => !/status of 401/.test(e));
    expect(unexpected).toEqual([]);
  });
});

async function findingsCount(page: Page): Promise<number> {
  const text = (await page.getByTestId('findings-count').textContent()) ?? '';
  return Number.parseInt(text, 10);
}

/** Whether the Name column reads in order (the server sorts by name, then its own tie-breaks). */
async function sortedBy(page: Page, column: number, desc: boolean): Promise<boolean> {
  const names = await page
    .getByTestId('findings-table')
    .locator(`tbody td:nth-child(${column})`)
    .allTextContents();
  if (names.length < 2) return false;
  for (let i = 1; i < names.length; i++) {
    const a = names[i - 1] ?? '';
    const b = names[i] ?? '';
    if (desc ? a < b : a > b) return false;
  }
  return true;
}
