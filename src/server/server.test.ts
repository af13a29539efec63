/**
 * The dashboard API over HTTP: `palisade serve --demo` on 127.0.0.1 with a token file, every
 * route's answer checked against its schema, authentication refused on every data route,
 * filters, sorting, paging and adversarial inputs, ETags, gzip, headers, cookie sessions and
 * CSRF, the netpol diff and the single-page app's files.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import {
  API_PREFIX,
  API_ROUTES,
  CONTENT_SECURITY_POLICY,
  FindingsResponseSchema,
  SessionSchema,
  type FindingsResponse,
} from './index.js';
import { startTestServer, type RunningServer } from './testing.js';

const VIEWER = 'viewer-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef00';

let dir: string;
let server: RunningServer;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

async function call(
  p: string,
  init: {
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string;
    token?: string | null;
  } = {},
): Promise<Answer> {
  const token = init.token === undefined ? VIEWER : init.token;
  const res = await request(
    `${server.url}${p.startsWith('/api') || p.startsWith('/') ? p : `${API_PREFIX}/${p}`}`,
    {
      method: init.method ?? 'GET',
      headers: {
        ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    },
  );
  const buf = Buffer.from(await res.body.arrayBuffer());
  const text = (res.headers['content-encoding'] === 'gzip' ? gunzipSync(buf) : buf).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

const api = (p: string): string => `${API_PREFIX}${p}`;

async function findings(query: string): Promise<FindingsResponse> {
  const r = await call(api(`/findings?${query}`));
  expect(r.status, r.text).toBe(200);
  return FindingsResponseSchema.parse(r.json);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'palisade-serve-'));
  writeFileSync(path.join(dir, 'tokens.txt'), `# dashboard tokens\n${VIEWER} viewer\n${ADMIN} admin\n`);
  // No built UI here (a checkout where npm start ran has one in dist/ui): the API alone.
  server = await startTestServer(
    { demo: true, tokenFile: 'tokens.txt', uiDir: path.join(dir, 'no-ui') },
    dir,
  );
}, 120_000);

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('authentication', () => {
  const dataRoutes = API_ROUTES.filter((r) => r.access !== 'public');

  it.each(dataRoutes.map((r) => [r.method, r.path] as const))(
    '%s %s refuses a caller without a token',
    async (method, p) => {
      const r = await call(api(p), { method, token: null, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({ error: { code: 'unauthorized' } });
      expect(r.text).not.toContain('demo');
    },
  );

  it.each(dataRoutes.map((r) => [r.method, r.path] as const))(
    '%s %s refuses an invalid token',
    async (method, p) => {
      const r = await call(api(p), {
        method,
        token: `${VIEWER}x`,
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      expect(r.status).toBe(401);
    },
  );

  it('refuses a malformed Authorization header and unknown API paths without a token', async () => {
    expect(
      (await call(api('/summary'), { token: null, headers: { authorization: 'Basic abc' } })).status,
    ).toBe(401);
    expect((await call(api('/secret-route'), { token: null })).status).toBe(401);
    expect((await call(api('/secret-route'))).status).toBe(404);
  });

  it('says who the caller is on /session, without a token too', async () => {
    const anon = SessionSchema.parse((await call(api('/session'), { token: null })).json);
    expect(anon).toMatchObject({ authenticated: false, role: null, login: { token: true, oidcUrl: null } });
    const admin = SessionSchema.parse((await call(api('/session'), { token: ADMIN })).json);
    expect(admin).toMatchObject({ authenticated: true, method: 'token', role: 'admin', subject: 'token #3' });
    expect(JSON.stringify(admin)).not.toContain(ADMIN);
  });

  it('logs in with a token into an HttpOnly SameSite=Strict cookie, and needs CSRF for POSTs', async () => {
    const login = await call(api('/auth/login'), {
      method: 'POST',
      token: null,
      body: JSON.stringify({ token: VIEWER }),
    });
    expect(login.status, login.text).toBe(200);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^palisade_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const session = SessionSchema.parse(login.json);
    expect(session.csrfToken).toMatch(/^[\w-]{40,}$/);
    const jar = { cookie: cookie.split(';')[0] ?? '' };

    expect((await call(api('/summary'), { token: null, headers: jar })).status).toBe(200);
    const diffBody = JSON.stringify({ manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' });
    const noCsrf = await call(api('/network/diff'), {
      method: 'POST',
      token: null,
      headers: jar,
      body: diffBody,
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json).toMatchObject({ error: { code: 'csrf_missing' } });
    const wrongCsrf = await call(api('/network/diff'), {
      method: 'POST',
      token: null,
      headers: { ...jar, 'x-csrf-token': 'not-the-token' },
      body: diffBody,
    });
    expect(wrongCsrf.status).toBe(403);
    const withCsrf = await call(api('/network/diff'), {
      method: 'POST',
      token: null,
      headers: { ...jar, 'x-csrf-token': session.csrfToken ?? '' },
      body: diffBody,
    });
    expect(withCsrf.status, withCsrf.text).toBe(200);

    const logoutNoCsrf = await call(api('/auth/logout'), {
      method: 'POST',
      token: null,
      headers: jar,
      body: '{}',
    });
    expect(logoutNoCsrf.status).toBe(403);
    const logout = await call(api('/auth/logout'), {
      method: 'POST',
      token: null,
      headers: { ...jar, 'x-csrf-token': session.csrfToken ?? '' },
      body: '{}',
    });
    expect(logout.status).toBe(200);
    expect((await call(api('/summary'), { token: null, headers: jar })).status).toBe(401);
  });

  it('refuses a login that is not JSON from the same origin, and a wrong token', async () => {
    const form = await call(api('/auth/login'), {
      method: 'POST',
      token: null,
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ token: VIEWER }),
    });
    expect(form.status).toBe(403);
    const crossSite = await call(api('/auth/login'), {
      method: 'POST',
      token: null,
      headers: { origin: 'https://evil.example' },
      body: JSON.stringify({ token: VIEWER }),
    });
    expect(crossSite.status).toBe(403);
    const wrong = await call(api('/auth/login'), {
      method: 'POST',
      token: null,
      body: JSON.stringify({ token: 'x'.repeat(30) }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });
});

describe('every route answers the demo data in its documented shape', () => {
  const queries: Record<string, string> = {
    '/rbac/who-can': '?verb=get&resource=secrets&namespace=checkout',
  };
  it.each(API_ROUTES.filter((r) => r.method === 'GET').map((r) => [r.path, r] as const))(
    'GET %s',
    async (p, route) => {
      const r = await call(api(`${p}${queries[p] ?? ''}`));
      expect(r.status, r.text).toBe(200);
      const parsed = route.response.safeParse(r.json);
      expect(parsed.success, JSON.stringify(parsed.error?.issues.slice(0, 3))).toBe(true);
    },
  );
});

describe('findings: filtered, sorted and paged on the server', () => {
  it('filters by namespace and severity', async () => {
    const page = await findings('namespace=ops&severity=critical,high&limit=500');
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.total).toBe(page.items.length);
    for (const f of page.items) {
      expect(f.namespace).toBe('ops');
      expect(['critical', 'high']).toContain(f.severity);
    }
    const all = await findings('limit=500');
    expect(all.total).toBeGreaterThan(page.total);
  });

  it('orders by severity by default, critical first, and by name when asked', async () => {
    const rank = ['critical', 'high', 'medium', 'low', 'info'];
    const bySeverity = await findings('limit=500');
    const ranks = bySeverity.items.map((f) => rank.indexOf(f.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const byName = await findings('sort=name&order=desc&limit=500');
    const names = byName.items.map((f) => f.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
  });

  it('pages without overlap or gaps', async () => {
    const all = await findings('sort=controlId&limit=500');
    const pages: string[] = [];
    for (let offset = 0; offset < all.total; offset += 7)
      pages.push(
        ...(await findings(`sort=controlId&limit=7&offset=${offset}`)).items.map((f) => f.fingerprint),
      );
    expect(pages).toEqual(all.items.map((f) => f.fingerprint));
  });

  it('carries remediation and frameworks from the catalogue, and filters by framework', async () => {
    const page = await findings('framework=cis&limit=500');
    expect(page.items.length).toBeGreaterThan(0);
    for (const f of page.items) expect(f.frameworks).toContain('cis-1.10');
    expect(page.items.some((f) => (f.remediation ?? '') !== '')).toBe(true);
  });

  it('searches text case-insensitively, with LIKE wildcards taken literally', async () => {
    const hit = await findings('q=PRIVILEGED&limit=500');
    expect(hit.total).toBeGreaterThan(0);
    for (const f of hit.items)
      expect(`${f.title} ${f.message} ${f.name} ${f.controlId}`.toLowerCase()).toContain('privileged');
    expect((await findings('q=payments&limit=5')).total).toBeGreaterThan(0);
    expect((await findings('q=pay%25ents&limit=5')).total).toBe(0);
    expect((await findings('q=p_yments&limit=5')).total).toBe(0);
  });

  it('gives the findings of one past scan, and of resolved findings now', async () => {
    const scans = (await call(api('/scans'))).json as { items: { id: number; findings: number }[] };
    const first = scans.items.at(-1);
    expect(first).toBeDefined();
    const page = await findings(`scan=${first?.id ?? 0}&limit=1`);
    expect(page.total).toBe(first?.findings);
    expect(page.scanId).toBe(first?.id);
    const bad = await call(api(`/findings?scan=${first?.id ?? 0}&status=resolved`));
    expect(bad.status).toBe(400);
  });

  it.each([
    ['a huge limit', 'limit=100000000'],
    ['a negative offset', 'offset=-1'],
    ['a fractional limit', 'limit=1.5'],
    ['a bad sort field', 'sort=password'],
    ['an SQL sort', 'sort=severity;drop table findings'],
    ['a bad order', 'order=sideways'],
    ['an unknown severity', 'severity=critical,urgent'],
    ['an unknown parameter', 'where=1'],
    ['an over-long filter', `q=${'x'.repeat(300)}`],
    ['a non-numeric scan', 'scan=latest'],
  ])('refuses %s with 400 and a message', async (_what, query) => {
    const r = await call(api(`/findings?${query}`));
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: { code: 'bad_request' } });
  });

  it.each([
    ["q=' OR 1=1 --"],
    ["namespace=x' OR '1'='1"],
    ['controlId=a") UNION SELECT * FROM clusters --'],
    ['name=%00%27%22%5C'],
    ['kind=Deployment%27);DELETE FROM findings;--'],
  ])('treats SQL-ish filter %s as data', async (query) => {
    const r = await call(api(`/findings?${query.replace(/ /g, '%20')}`));
    expect(r.status, r.text).toBe(200);
    expect((r.json as FindingsResponse).total).toBe(0);
    expect((await findings('limit=1')).total).toBeGreaterThan(100);
  });

  it('answers an unknown cluster and scan with 404', async () => {
    expect((await call(api('/findings?cluster=nope'))).status).toBe(404);
    expect((await call(api('/findings?scan=999999'))).status).toBe(404);
  });
});

describe('overview, RBAC, network and drift on the demo cluster', () => {
  it('summarises open findings by severity and namespace', async () => {
    const r = (await call(api('/summary'))).json as {
      scan: { findings: number };
      bySeverity: Record<string, number>;
      byNamespace: { namespace: string; total: number }[];
    };
    const total = Object.values(r.bySeverity).reduce((a, b) => a + b, 0);
    expect(total).toBe(r.scan.findings);
    expect(r.byNamespace.reduce((a, b) => a + b.total, 0)).toBe(total);
    expect(r.byNamespace.map((n) => n.namespace)).toContain('ops');
  });

  it('shows what changed since yesterday: ops/ was added', async () => {
    const r = (await call(api('/changes'))).json as {
      opened: { namespace: string }[];
      openedCount: number;
      closedCount: number;
    };
    expect(r.openedCount).toBeGreaterThan(0);
    expect(r.opened.some((f) => f.namespace === 'ops')).toBe(true);
  });

  it('has a score point per scan and framework', async () => {
    const r = (await call(api('/scores'))).json as { frameworks: { framework: string; points: unknown[] }[] };
    expect(r.frameworks.map((f) => f.framework)).toContain('cis-1.10');
    for (const f of r.frameworks) expect(f.points).toHaveLength(2);
  });

  it('answers who-can with the binding path', async () => {
    const r = (await call(api('/rbac/who-can?verb=get&resource=secrets&namespace=checkout'))).json as {
      subjects: {
        kind: string;
        name: string;
        namespace?: string;
        via: { binding: string; role: string }[];
      }[];
    };
    const ci = r.subjects.find((s) => s.name === 'ci-runner');
    expect(ci).toMatchObject({ kind: 'ServiceAccount', namespace: 'ops' });
    expect(ci?.via[0]).toEqual({
      binding: 'ClusterRoleBinding/ci-runner-admin',
      role: 'ClusterRole/cluster-admin',
    });
    const missing = await call(api('/rbac/who-can?resource=secrets'));
    expect(missing.status).toBe(400);
  });

  it('draws escalation paths whose edges all join known nodes', async () => {
    const r = (await call(api('/rbac/graph'))).json as {
      nodes: { id: string }[];
      edges: { from: string; to: string }[];
      paths: { to: string }[];
    };
    expect(r.paths.some((p) => p.to === 'cluster-admin')).toBe(true);
    const ids = new Set(r.nodes.map((n) => n.id));
    for (const e of r.edges) {
      expect(ids.has(e.from)).toBe(true);
      expect(ids.has(e.to)).toBe(true);
    }
  });

  it('shows external exposure and default-deny gaps', async () => {
    const r = (await call(api('/network/graph'))).json as {
      namespaces: { name: string; defaultDenyIngress: boolean }[];
      exposure: { workload: string }[];
      gaps: { namespace: string; direction: string }[];
      nodes: { id: string; exposed: boolean }[];
    };
    expect(r.namespaces.find((n) => n.name === 'checkout')?.defaultDenyIngress).toBe(true);
    expect(r.gaps.some((g) => g.namespace === 'ops' && g.direction === 'ingress')).toBe(true);
    expect(r.exposure.map((e) => e.workload)).toContain('default/debug-shell[Pod]');
    expect(r.nodes.find((n) => n.id === 'default/debug-shell[Pod]')?.exposed).toBe(true);
    const ns = (await call(api('/network/matrix?namespace=checkout'))).json as {
      rows: { src: string; dst: string }[];
    };
    for (const row of ns.rows) expect(`${row.src} ${row.dst}`).toContain('checkout/');
  });

  it('diffs a proposed policy: removing checkout default deny opens paths, attributed', async () => {
    const graph = (await call(api('/network/graph'))).json as { nodes: { namespace: string }[] };
    expect(graph.nodes.some((n) => n.namespace === 'checkout')).toBe(true);
    const allowAll = [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata:',
      '  name: allow-everything',
      '  namespace: checkout',
      'spec:',
      '  podSelector: {}',
      '  ingress:',
      '  - {}',
      '  policyTypes: [Ingress]',
      '',
    ].join('\n');
    const r = await call(api('/network/diff'), {
      method: 'POST',
      body: JSON.stringify({ manifests: allowAll }),
    });
    expect(r.status, r.text).toBe(200);
    const d = r.json as {
      newExposure: number;
      diffs: { dst: string; attribution: { description: string }[] }[];
    };
    expect(d.newExposure).toBeGreaterThan(0);
    const opened = d.diffs.find((x) => x.dst.startsWith('checkout/'));
    expect(opened?.attribution.map((a) => a.description).join(' ')).toContain('allow-everything');
  });

  it('refuses a malformed or oversized diff body', async () => {
    expect((await call(api('/network/diff'), { method: 'POST', body: '{"manifests": 5}' })).status).toBe(400);
    expect((await call(api('/network/diff'), { method: 'POST', body: '{not json' })).status).toBe(400);
    const big = JSON.stringify({ manifests: 'a'.repeat(2 * 1024 * 1024) });
    expect((await call(api('/network/diff'), { method: 'POST', body: big })).status).toBe(413);
    const broken = await call(api('/network/diff'), {
      method: 'POST',
      body: JSON.stringify({ manifests: 'a: [\n' }),
    });
    expect(broken.status).toBe(200);
    expect((broken.json as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
  });

  it('compares two scans (drift)', async () => {
    const r = (await call(api('/drift'))).json as {
      base: { id: number };
      head: { id: number };
      findings: { opened: unknown[]; closed: unknown[] };
      reachability?: { added: unknown[] };
    };
    expect(r.head.id).toBeGreaterThan(r.base.id);
    expect(r.findings.opened.length).toBeGreaterThan(0);
    expect(r.reachability?.added.length).toBeGreaterThan(0);
  });

  it('lists images and alerts as empty with what enables them', async () => {
    for (const p of ['/images', '/alerts']) {
      const r = (await call(api(p))).json as { enabled: boolean; enabledBy: string; items: unknown[] };
      expect(r).toMatchObject({ enabled: false, items: [] });
      expect(r.enabledBy).toMatch(p === '/alerts' ? /detect run\|serve --db/ : /image scan REF --db/);
    }
  });
});

describe('HTTP behaviour', () => {
  it('sends the security headers on API answers, pages and errors', async () => {
    for (const r of [
      await call(api('/summary')),
      await call('/'),
      await call(api('/summary'), { token: null }),
    ]) {
      expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });

  it('answers If-None-Match with 304 and the same ETag', async () => {
    const first = await call(api('/summary'));
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await call(api('/summary'), { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const other = await call(api('/summary'), { headers: { 'if-none-match': 'W/"other"' } });
    expect(other.status).toBe(200);
  });

  it('compresses large answers with gzip when asked', async () => {
    const r = await call(api('/findings?limit=100'), { headers: { 'accept-encoding': 'gzip' } });
    expect(r.headers['content-encoding']).toBe('gzip');
    // The demo has more open findings than one page of 100: the page is full.
    expect((r.json as FindingsResponse).items).toHaveLength(100);
  });

  it('serves a page saying how to build the UI when dist/ui is absent', async () => {
    const r = await call('/', { token: null });
    expect(r.status).toBe(200);
    expect(r.text).toContain('npm run build');
    expect(r.text).not.toMatch(/<script|style=/);
  });
});

describe('the single-page app', () => {
  let ui: RunningServer;
  let uiDir: string;

  beforeAll(async () => {
    uiDir = mkdtempSync(path.join(tmpdir(), 'palisade-ui-'));
    mkdirSync(path.join(uiDir, 'assets'));
    writeFileSync(
      path.join(uiDir, 'index.html'),
      '<!doctype html><title>app</title><script type="module" src="/assets/app.js"></script>',
    );
    writeFileSync(path.join(uiDir, 'assets', 'app.js'), 'console.log("app")');
    writeFileSync(path.join(path.dirname(uiDir), 'outside-secret.txt'), 'secret');
    ui = await startTestServer({ noAuth: true, uiDir }, dir);
  });

  afterAll(async () => {
    await ui.stop();
    rmSync(uiDir, { recursive: true, force: true });
  });

  const get = async (p: string): Promise<Answer> => {
    const saved = server;
    server = ui;
    try {
      return await call(p, { token: null });
    } finally {
      server = saved;
    }
  };

  it('serves files and falls back to index.html for app routes', async () => {
    const js = await get('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.headers['cache-control']).toContain('immutable');
    for (const route of ['/', '/findings', '/rbac/who-can?verb=get']) {
      const r = await get(route);
      expect(r.status).toBe(200);
      expect(r.text).toContain('<title>app</title>');
    }
  });

  it('never serves a file outside the UI folder, and 404s missing assets', async () => {
    for (const p of [
      '/../outside-secret.txt',
      '/%2e%2e/outside-secret.txt',
      '/assets/../../outside-secret.txt',
      '/%2e%2e%2foutside-secret.txt',
    ])
      expect((await get(p)).text).not.toContain('secret');
    expect((await get('/assets/missing.js')).status).toBe(404);
    expect((await get('/%E0%A4%A')).status).toBe(400);
  });

  it('with --no-auth on loopback, answers API calls without a token', async () => {
    const r = await get(api('/session'));
    expect(r.json).toMatchObject({ authenticated: true, method: 'none' });
  });
});

describe('configuration errors fail before listening', () => {
  it.each([
    [{ noAuth: true, listen: '0.0.0.0:0' }, /--no-auth is only allowed when --listen is a loopback/],
    [{}, /authentication is required/],
    [{ tokenFile: 'missing.txt' }, /missing.txt: cannot read the token file/],
    [{ oidcIssuer: 'https://issuer.example' }, /go together/],
    [{ tlsCert: 'a.crt', tokenFile: 'tokens.txt' }, /--tls-cert and --tls-key go together/],
    [{ listen: 'nonsense', noAuth: true }, /--listen must be HOST:PORT/],
    [{ oidcIssuer: 'http://issuer.example.com', oidcClientId: 'x' }, /https:\/\//],
  ])('%o', async (options, message) => {
    await expect(startTestServer(options, dir)).rejects.toThrow(message);
  });
});

describe('HTTPS when a certificate is given', () => {
  it('serves TLS with HSTS and a Secure session cookie', async () => {
    const { main } = await import('../cli/main.js');
    const { memoryIO } = await import('../cli/io.js');
    const certIo = memoryIO({ cwd: dir });
    await main(['admission', 'cert', '--extra-name', '127.0.0.1'], certIo);
    for (const [f, text] of certIo.files) writeFileSync(f, text);
    const tls = await startTestServer(
      { tokenFile: 'tokens.txt', tlsCert: 'tls.crt', tlsKey: 'tls.key' },
      dir,
    );
    try {
      expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const { Agent } = await import('undici');
      const dispatcher = new Agent({ connect: { ca: readFileSync(path.join(dir, 'ca.crt'), 'utf8') } });
      const res = await request(`${tls.url}${api('/auth/login')}`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: VIEWER }),
      });
      await res.body.text();
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['set-cookie'])).toMatch(/; Secure$/);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
      await dispatcher.close();
    } finally {
      await tls.stop();
    }
  });
});
