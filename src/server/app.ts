/**
 * The dashboard's HTTP server: the `/api/v1` routes of `api-types.ts` over the history store
 * and the RBAC/network engines, authentication (bearer tokens, cookie sessions, OIDC), CSRF on
 * state-changing calls, security headers, ETags, compression, and the single-page app's files
 * with a fallback to its `index.html`.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import compress from '@fastify/compress';
import { sql } from 'kysely';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InputError, UsageError } from '../core/index.js';
import { CATALOG } from '../controls/index.js';
import { computeDrift, type ScanSummary, type Store } from '../store/index.js';
import {
  API_PREFIX,
  API_ROUTES,
  ChangesResponseSchema,
  ClusterQuerySchema,
  DriftQuerySchema,
  EventsQuerySchema,
  FindingsQuerySchema,
  ImagesQuerySchema,
  ImageVulnerabilitiesQuerySchema,
  LoginBodySchema,
  NetpolDiffBodySchema,
  NetworkQuerySchema,
  RbacGraphQuerySchema,
  ScansQuerySchema,
  ScoresQuerySchema,
  TopRisksQuerySchema,
  WhoCanQuerySchema,
  type ApiRole,
  type ChangesResponse,
  type DriftFinding,
  type DriftResponse,
  type ErrorBody,
  type ImageVulnerabilitiesResponse,
  type ScoresResponse,
  type Session as SessionDto,
} from './api-types.js';
import {
  matchToken,
  OidcClient,
  OidcError,
  sameSecret,
  SessionStore,
  type OidcOptions,
  type Principal,
  type Session,
  type TokenEntry,
} from './auth.js';
import { EngineLimitError, Engines, type ServerInputs } from './engines.js';
import {
  clusterIdOf,
  countScans,
  defaultCluster,
  emptyCounts,
  findingsPage,
  hasRows,
  latestScanIds,
  riskyWorkloads,
  summaryOf,
  type ControlFacts,
} from './queries.js';

/** How callers are authenticated. */
export type AuthOptions =
  { mode: 'none' } | { mode: 'required'; tokens?: readonly TokenEntry[]; oidc?: OidcOptions };

/** Options of {@link buildServer}. */
export interface ServerOptions {
  store: Store;
  auth: AuthOptions;
  /** The inputs RBAC and network pages are computed from; undefined when there are none. */
  inputs?: () => Promise<ServerInputs | undefined>;
  /** The built single-page app (`dist/ui`); absent: a page saying how to build it. */
  staticDir?: string;
  /** PEM certificate and key: serve HTTPS, and mark the session cookie Secure. */
  tls?: { cert: string; key: string };
  now?: () => number;
  /**
   * How long an overview, drift or scan-list answer is reused while no scan is recorded
   * (default 15 s; 0 turns the cache off). Findings pages are always computed.
   */
  cacheTtlMs?: number;
}

/** Answers kept at most (the oldest is dropped first). */
const MAX_CACHED_ANSWERS = 500;

/** An error with an HTTP status and a stable code, caught by the error handler. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The Content-Security-Policy of every response: no inline script or style, nothing from elsewhere. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SESSION_COOKIE = 'palisade_session';
const DAY = 86_400_000;
const CHANGE_LIST_LIMIT = 200;
const DRIFT_LIST_LIMIT = 1000;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Palisade</title></head>
<body><h1>Palisade dashboard</h1>
<p>The web UI is not built in this installation. Run <code>npm run build</code>, then restart
<code>palisade serve</code>. The JSON API answers under <code>/api/v1/</code>.</p></body></html>
`;

function cookiesOf(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${what} ${issue.path.join('.')}` : what;
  const message =
    issue?.code === 'unrecognized_keys'
      ? `unknown ${what} parameter(s): ${issue.keys.join(', ')}`
      : `${where}: ${issue?.message ?? 'invalid'}`;
  throw new HttpError(400, 'bad_request', message);
}

function driftFindingsOf(rows: { [k: string]: unknown }[]): DriftFinding[] {
  return rows.map((r) => ({
    fingerprint: String(r.fingerprint),
    controlId: String(r.control_id),
    severity:
      (['critical', 'high', 'medium', 'low', 'info'] as const).find((s) => s === r.severity) ?? 'info',
    namespace: String(r.namespace),
    kind: String(r.kind),
    name: String(r.name),
    fieldPath: String(r.field_path),
    title: String(r.title),
    ...(typeof r.location === 'string' ? { location: r.location } : {}),
  }));
}

/** The control facts (remediation, framework ids) the findings API adds to rows. */
function controlFacts(): Map<string, ControlFacts> {
  const m = new Map<string, ControlFacts>();
  for (const c of CATALOG)
    m.set(c.id, { remediation: c.remediation, frameworks: [...new Set(c.frameworks.map((f) => f.id))] });
  return m;
}

/**
 * Builds the server (not yet listening). Configuration errors (no way to authenticate, a bad
 * OIDC issuer) throw here, before any request arrives.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const store = options.store;
  const db = store.db;
  const auth = options.auth;
  const tokens = auth.mode === 'required' ? (auth.tokens ?? []) : [];
  const oidc = auth.mode === 'required' && auth.oidc ? new OidcClient(auth.oidc, now) : undefined;
  if (auth.mode === 'required' && tokens.length === 0 && !oidc)
    throw new UsageError(
      'authentication is required: pass --token-file FILE or --oidc-issuer URL --oidc-client-id ID',
    );
  const sessions = new SessionStore(now);
  const secure = options.tls !== undefined;
  const controls = controlFacts();
  const engines = new Map<string, Engines>();
  const cacheTtl = options.cacheTtlMs ?? 15_000;
  const answers = new Map<string, { at: number; version: string; value: unknown }>();
  /** What changes when a scan is recorded or pruned: the newest scan id and the scan count. */
  const dataVersion = async (): Promise<string> => {
    const r = await db
      .selectFrom('scans')
      .select((eb) => [eb.fn.max('id').as('id'), eb.fn.countAll<number>().as('n')])
      .executeTakeFirst();
    return `${String(r?.id ?? 0)}:${String(r?.n ?? 0)}`;
  };
  /** The answer for this URL, reused while the store's scans are unchanged and it is fresh. */
  const cached = async <T>(request: FastifyRequest, compute: () => Promise<T>): Promise<T> => {
    if (cacheTtl <= 0) return compute();
    const version = await dataVersion();
    const hit = answers.get(request.url);
    if (hit && hit.version === version && now() - hit.at < cacheTtl) return hit.value as T;
    const value = await compute();
    answers.delete(request.url);
    while (answers.size >= MAX_CACHED_ANSWERS) {
      const oldest = answers.keys().next();
      if (oldest.done === true) break;
      answers.delete(oldest.value);
    }
    answers.set(request.url, { at: now(), version, value });
    return value;
  };

  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 5_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  }) as unknown as FastifyInstance;

  // ---- security headers and ETags ------------------------------------------------------------
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    if (secure) reply.header('strict-transport-security', 'max-age=31536000');
    if (!request.url.startsWith(API_PREFIX)) return payload;
    reply.header('cache-control', 'private, no-cache');
    reply.header('vary', 'Authorization, Cookie, Accept-Encoding');
    if (request.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    const etag = `W/"${createHash('sha256').update(payload).digest('base64url').slice(0, 27)}"`;
    reply.header('etag', etag);
    const inm = request.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag)) {
      reply.code(304);
      return '';
    }
    return payload;
  });
  await app.register(compress, { global: true, threshold: 1024, encodings: ['gzip', 'deflate'] });

  // ---- errors ---------------------------------------------------------------------------------
  const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } });
  app.setErrorHandler((err: unknown, _request, reply) => {
    if (err instanceof HttpError) return reply.code(err.status).send(errorBody(err.code, err.message));
    if (err instanceof EngineLimitError) return reply.code(413).send(errorBody('too_large', err.message));
    if (err instanceof OidcError) return reply.code(400).send(errorBody('oidc_failed', err.message));
    if (err instanceof InputError || err instanceof UsageError)
      return reply.code(400).send(errorBody('bad_request', err.message));
    const status =
      typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number'
        ? err.statusCode
        : 500;
    if (status >= 400 && status < 500) {
      const message = err instanceof Error ? err.message : 'bad request';
      return reply.code(status).send(errorBody(status === 413 ? 'too_large' : 'bad_request', message));
    }
    return reply
      .code(500)
      .send(errorBody('internal', 'internal error; the server log has no details either, retry'));
  });

  // ---- authentication -------------------------------------------------------------------------
  interface Caller {
    principal: Principal;
    session?: Session;
  }
  const callerOf = (request: FastifyRequest): Caller | undefined => {
    if (auth.mode === 'none')
      return { principal: { method: 'none', role: 'admin', subject: 'anonymous (--no-auth)' } };
    const header = request.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const entry = m?.[1] !== undefined ? matchToken(tokens, m[1]) : undefined;
      if (!entry) throw new HttpError(401, 'unauthorized', 'the bearer token is not valid');
      return { principal: { method: 'token', role: entry.role, subject: entry.label } };
    }
    const id = cookiesOf(request.headers.cookie).get(SESSION_COOKIE);
    const session = id !== undefined ? sessions.get(id) : undefined;
    return session ? { principal: session, session } : undefined;
  };
  const require = (request: FastifyRequest, role: ApiRole): Caller => {
    const caller = callerOf(request);
    if (!caller)
      throw new HttpError(
        401,
        'unauthorized',
        'authentication required: send Authorization: Bearer TOKEN or log in',
      );
    if (role === 'admin' && caller.principal.role !== 'admin')
      throw new HttpError(403, 'forbidden', 'this call needs the admin role');
    // A cookie is sent by the browser on its own: state-changing calls also need the CSRF token.
    if (caller.session && request.method !== 'GET' && request.method !== 'HEAD') {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameSecret(sent, caller.session.csrf))
        throw new HttpError(
          403,
          'csrf_missing',
          'send the session’s CSRF token in X-CSRF-Token (GET /api/v1/session)',
        );
    }
    return caller;
  };
  const sessionDto = (caller: Caller | undefined): SessionDto => ({
    authenticated: caller !== undefined,
    method: caller?.principal.method ?? null,
    role: caller?.principal.role ?? null,
    subject: caller?.principal.subject ?? null,
    csrfToken: caller?.session?.csrf ?? null,
    login: { token: tokens.length > 0, oidcUrl: oidc ? `${API_PREFIX}/auth/oidc/login` : null },
    expiresAt: caller?.session?.expiresAt ?? null,
  });
  const setSessionCookie = (reply: FastifyReply, s: Session): void => {
    const maxAge = Math.floor(sessions.ttlMs / 1000);
    reply.header(
      'set-cookie',
      `${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`,
    );
  };
  const sameOrigin = (request: FastifyRequest): boolean => {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    try {
      return new URL(origin).host === request.headers.host;
    } catch {
      return false;
    }
  };

  // ---- helpers over the store -----------------------------------------------------------------
  const clusterOf = async (name: string | undefined): Promise<{ name: string; id: number } | undefined> => {
    if (name !== undefined) {
      const id = await clusterIdOf(db, name);
      if (id === undefined) throw new HttpError(404, 'not_found', `no cluster named ${name} in the store`);
      return { name, id };
    }
    const d = await defaultCluster(db);
    if (d === undefined) return undefined;
    const id = await clusterIdOf(db, d);
    return id === undefined ? undefined : { name: d, id };
  };
  const scanSummary = async (id: number): Promise<ScanSummary> => {
    const r = await store.resolveScan({ kind: 'id', id });
    if (!r.ok) throw new HttpError(404, 'not_found', r.error);
    return r.scan;
  };
  const enginesNow = async (): Promise<Engines> => {
    const inputs = await options.inputs?.();
    if (!inputs)
      throw new HttpError(
        503,
        'unavailable',
        'no cluster objects to analyse: start palisade serve with --demo, or record a scan of manifests with palisade scan DIR --db',
      );
    let e = engines.get(inputs.key);
    if (!e) {
      engines.clear();
      e = new Engines(inputs);
      engines.set(inputs.key, e);
    }
    return e;
  };

  // ---- public routes --------------------------------------------------------------------------
  const api = (p: string): string => `${API_PREFIX}${p}`;
  app.get(api('/health'), () => ({ status: 'ok' as const }));
  app.get(api('/session'), (request) => sessionDto(callerOf(request)));
  app.post(api('/auth/login'), (request, reply) => {
    if (!request.headers['content-type']?.startsWith('application/json') || !sameOrigin(request))
      throw new HttpError(403, 'forbidden', 'log in from the dashboard (JSON body, same origin)');
    if (tokens.length === 0) throw new HttpError(404, 'not_found', 'this server does not accept tokens');
    const body = parseWith(LoginBodySchema, request.body, 'body');
    const entry = matchToken(tokens, body.token);
    if (!entry) throw new HttpError(401, 'unauthorized', 'the token is not valid');
    const s = sessions.create({ method: 'token', role: entry.role, subject: entry.label });
    setSessionCookie(reply, s);
    return sessionDto({ principal: s, session: s });
  });
  app.post(api('/auth/logout'), (request, reply) => {
    const caller = callerOf(request);
    if (caller?.session) {
      require(request, 'viewer');
      sessions.delete(caller.session.id);
    }
    reply.header(
      'set-cookie',
      `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`,
    );
    return sessionDto(undefined);
  });
  if (oidc) {
    app.get(api('/auth/oidc/login'), async (_request, reply) => {
      const { url } = await oidc.authorizationUrl();
      return reply.redirect(url, 302);
    });
    app.get(api('/auth/oidc/callback'), async (request, reply) => {
      const q = parseWith(
        z.object({ code: z.string().min(1).max(4096), state: z.string().min(1).max(200) }).loose(),
        request.query,
        'query',
      );
      const principal = await oidc.callback(q.state, q.code);
      const s = sessions.create(principal);
      setSessionCookie(reply, s);
      return reply.redirect('/', 302);
    });
  }

  // ---- data routes ----------------------------------------------------------------------------
  const viewer = {
    preHandler: (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
      require(request, 'viewer');
      done();
    },
  };

  app.get(api('/scans'), viewer, (request) =>
    cached(request, async () => {
      const q = parseWith(ScansQuerySchema, request.query, 'query');
      if (q.cluster !== undefined) await clusterOf(q.cluster);
      const scans = await store.listScans({ cluster: q.cluster, limit: q.offset + q.limit });
      return {
        clusters: await store.clusters(),
        items: scans.slice(q.offset),
        total: await countScans(db, q.cluster),
        limit: q.limit,
        offset: q.offset,
      };
    }),
  );

  app.get(api('/findings'), viewer, async (request) => {
    const q = parseWith(FindingsQuerySchema, request.query, 'query');
    if (q.scan !== undefined && q.status !== 'open')
      throw new HttpError(
        400,
        'bad_request',
        'status resolved or all applies to the findings now; leave out scan',
      );
    let cluster: { name: string; id: number } | undefined;
    if (q.scan !== undefined) {
      const scan = await scanSummary(q.scan);
      if (q.cluster !== undefined && scan.cluster !== q.cluster)
        throw new HttpError(
          400,
          'bad_request',
          `scan ${q.scan} belongs to cluster ${scan.cluster}, not ${q.cluster}`,
        );
      cluster = await clusterOf(scan.cluster);
    } else cluster = await clusterOf(q.cluster);
    if (!cluster)
      return { items: [], total: 0, totalExact: true, limit: q.limit, offset: q.offset, scanId: null };
    const scanId = q.scan ?? (await latestScanIds(db, cluster.id, 1))[0] ?? null;
    let frameworkControls: string[] | undefined;
    if (q.framework !== undefined) {
      const fw = q.framework;
      frameworkControls = CATALOG.filter((c) =>
        c.frameworks.some((f) => f.id === fw || f.id.startsWith(`${fw}-`)),
      ).map((c) => c.id);
    }
    return findingsPage(db, cluster.id, q, controls, frameworkControls, scanId);
  });

  app.get(api('/scores'), viewer, (request) =>
    cached(request, async (): Promise<ScoresResponse> => {
      const q = parseWith(ScoresQuerySchema, request.query, 'query');
      const cluster = await clusterOf(q.cluster);
      if (!cluster) return { cluster: null, frameworks: [] };
      const points = await store.scoreHistory(cluster.name, q.since ?? now() - 90 * DAY, q.framework);
      const byFw = new Map<string, ScoresResponse['frameworks'][number]>();
      for (const p of points) {
        let e = byFw.get(p.framework);
        if (!e) {
          e = { framework: p.framework, points: [] };
          byFw.set(p.framework, e);
        }
        e.points.push({ scanId: p.scanId, time: p.time, score: p.score });
      }
      return { cluster: cluster.name, frameworks: [...byFw.values()] };
    }),
  );

  app.get(api('/summary'), viewer, (request) =>
    cached(request, async () => {
      const q = parseWith(ClusterQuerySchema, request.query, 'query');
      const cluster = await clusterOf(q.cluster);
      if (!cluster)
        return {
          cluster: null,
          scan: null,
          bySeverity: emptyCounts(),
          byNamespace: [],
          other: { namespaces: 0, total: 0 },
        };
      const [scan] = await store.listScans({ cluster: cluster.name, limit: 1 });
      return { cluster: cluster.name, scan: scan ?? null, ...(await summaryOf(db, cluster.id)) };
    }),
  );

  app.get(api('/changes'), viewer, (request) =>
    cached(request, async (): Promise<ChangesResponse> => {
      const q = parseWith(ClusterQuerySchema, request.query, 'query');
      const cluster = await clusterOf(q.cluster);
      const none: ChangesResponse = {
        cluster: null,
        base: null,
        head: null,
        opened: [],
        closed: [],
        unchanged: 0,
        openedCount: 0,
        closedCount: 0,
        scores: [],
      };
      if (!cluster) return none;
      const [head, base] = await store.listScans({ cluster: cluster.name, limit: 2 });
      if (!head) return { ...none, cluster: cluster.name };
      const diff = await changedFindings(store, head.id, base?.id);
      return ChangesResponseSchema.parse({
        cluster: cluster.name,
        base: base ?? null,
        head,
        ...diff,
        scores: head.scores.map((s) => ({
          framework: s.framework,
          before: base?.scores.find((b) => b.framework === s.framework)?.score ?? null,
          after: s.score,
        })),
      });
    }),
  );

  app.get(api('/top-risks'), viewer, (request) =>
    cached(request, async () => {
      const q = parseWith(TopRisksQuerySchema, request.query, 'query');
      const cluster = await clusterOf(q.cluster);
      const workloads = cluster ? await riskyWorkloads(db, cluster.id, q.limit) : [];
      const inputs = await options.inputs?.();
      if (!inputs)
        return {
          workloads,
          identities: [],
          identitiesNote: 'no RBAC objects to analyse (start with --demo or record a scan of manifests)',
        };
      return { workloads, identities: (await enginesNow()).riskyIdentities(q.limit) };
    }),
  );

  app.get(api('/rbac/who-can'), viewer, async (request) => {
    const q = parseWith(WhoCanQuerySchema, request.query, 'query');
    return (await enginesNow()).whoCan(q);
  });

  app.get(api('/rbac/unused'), viewer, async () => (await enginesNow()).unusedRights());

  app.get(api('/rbac/graph'), viewer, async (request) => {
    const q = parseWith(RbacGraphQuerySchema, request.query, 'query');
    return (await enginesNow()).escalation(q.from, q.to);
  });

  app.get(api('/network/matrix'), viewer, async (request) => {
    const q = parseWith(NetworkQuerySchema, request.query, 'query');
    const e = await enginesNow();
    return { source: e.inputs.source, ...e.matrix(q.namespace) };
  });

  app.get(api('/network/graph'), viewer, async (request) => {
    const q = parseWith(NetworkQuerySchema, request.query, 'query');
    return (await enginesNow()).networkGraph(q.namespace);
  });

  app.post(api('/network/diff'), viewer, async (request) => {
    const body = parseWith(NetpolDiffBodySchema, request.body, 'body');
    return (await enginesNow()).netpolDiff(body.manifests, body.remove);
  });

  app.get(api('/drift'), viewer, (request) =>
    cached(request, async (): Promise<DriftResponse> => {
      const q = parseWith(DriftQuerySchema, request.query, 'query');
      let base: ScanSummary | undefined;
      let head: ScanSummary | undefined;
      if (q.head !== undefined) head = await scanSummary(q.head);
      if (q.base !== undefined) base = await scanSummary(q.base);
      if (!head || !base) {
        const cluster = await clusterOf(q.cluster ?? head?.cluster ?? base?.cluster);
        const latest = cluster ? await store.listScans({ cluster: cluster.name, limit: 2 }) : [];
        head ??= latest[0];
        base ??= latest.find((s) => s.id !== head?.id);
      }
      if (!head || !base)
        throw new HttpError(
          404,
          'not_found',
          'drift needs two recorded scans; record another with palisade scan --db',
        );
      const [changed, bg, hg, br, hr, bi, hi] = await Promise.all([
        changedFindings(store, head.id, base.id, DRIFT_LIST_LIMIT),
        store.scanRbacGrants(base.id),
        store.scanRbacGrants(head.id),
        store.scanReachability(base.id),
        store.scanReachability(head.id),
        store.scanImages(base.id),
        store.scanImages(head.id),
      ]);
      // Findings are compared in SQL (bounded lists, exact counts); grants and reachability,
      // sized by the cluster's RBAC and workload count, by the same pure drift as the CLI.
      const d = computeDrift(
        { label: `scan ${base.id}`, findings: [], rbacGrants: bg, reachability: br, images: bi },
        { label: `scan ${head.id}`, findings: [], rbacGrants: hg, reachability: hr, images: hi },
      );
      const cut = <T>(l: readonly T[]): T[] => l.slice(0, DRIFT_LIST_LIMIT);
      const truncated =
        changed.openedCount > DRIFT_LIST_LIMIT ||
        changed.closedCount > DRIFT_LIST_LIMIT ||
        (d.rbac?.length ?? 0) > DRIFT_LIST_LIMIT ||
        (d.reachability?.added.length ?? 0) > DRIFT_LIST_LIMIT ||
        (d.reachability?.removed.length ?? 0) > DRIFT_LIST_LIMIT ||
        (d.images?.changed.length ?? 0) > DRIFT_LIST_LIMIT ||
        (d.images?.added.length ?? 0) > DRIFT_LIST_LIMIT ||
        (d.images?.removed.length ?? 0) > DRIFT_LIST_LIMIT;
      return {
        base,
        head,
        findings: { opened: changed.opened, closed: changed.closed, unchanged: changed.unchanged },
        ...(d.rbac ? { rbac: cut(d.rbac) } : {}),
        ...(d.reachability
          ? { reachability: { added: cut(d.reachability.added), removed: cut(d.reachability.removed) } }
          : {}),
        ...(d.images
          ? {
              images: {
                changed: cut(d.images.changed),
                added: cut(d.images.added),
                removed: cut(d.images.removed),
              },
            }
          : {}),
        notes: d.notes,
        truncated,
      };
    }),
  );

  app.get(api('/images'), viewer, async (request) => {
    const q = parseWith(ImagesQuerySchema, request.query, 'query');
    const enabled = await hasRows(db, 'image_results');
    return {
      enabled,
      enabledBy:
        'image scan results recorded in this history store are listed here; none are recorded yet (palisade image scan REF --db PATH or palisade registry watch --db PATH record them)',
      items: enabled ? await store.listImageResults(q.since ?? 0, q.limit, q.history) : [],
    };
  });

  app.get(api('/images/vulnerabilities'), viewer, async (request): Promise<ImageVulnerabilitiesResponse> => {
    const q = parseWith(ImageVulnerabilitiesQuerySchema, request.query, 'query');
    const image = await store.imageResult(q.image);
    if (!image) {
      if (q.image !== undefined) throw new HttpError(404, 'not_found', `no image result ${q.image}`);
      return { image: null, items: [], total: 0, limit: q.limit, offset: q.offset };
    }
    const { items, total } = await store.imageVulnerabilities(image.id, q);
    return { image, items, total, limit: q.limit, offset: q.offset };
  });

  app.get(api('/alerts'), viewer, async (request) => {
    const q = parseWith(EventsQuerySchema, request.query, 'query');
    const enabled = await hasRows(db, 'alerts');
    return {
      enabled,
      enabledBy:
        'detection alerts recorded in this history store are listed here; none are recorded yet (palisade detect run|serve --db PATH records them)',
      items: enabled ? await store.listAlertSummaries(q.since ?? 0, q.limit) : [],
    };
  });

  // Every API path not routed above, whatever the method: a JSON 404 (after auth, so an
  // unauthenticated caller learns nothing about which paths exist).
  const known = new Set<string>(API_ROUTES.map((r) => `${r.method} ${api(r.path)}`));

  // ---- the single-page app --------------------------------------------------------------------
  const root = options.staticDir !== undefined ? path.resolve(options.staticDir) : undefined;
  const serveFile = async (reply: FastifyReply, file: string): Promise<boolean> => {
    try {
      const st = await stat(file);
      if (!st.isFile() || st.size > 20 * 1024 * 1024) return false;
    } catch {
      return false;
    }
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    const body = await readFile(file);
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    reply
      .header('content-type', type)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    await reply.send(body);
    return true;
  };
  app.setNotFoundHandler(async (request, reply) => {
    const url = request.url.split('?')[0] ?? '/';
    if (url.startsWith(`${API_PREFIX}/`) || url === API_PREFIX) {
      if (!known.has(`${request.method} ${url}`)) require(request, 'viewer');
      return reply.code(404).send(errorBody('not_found', `no API route ${request.method} ${url}`));
    }
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return reply.code(405).send(errorBody('method_not_allowed', `${request.method} is not served here`));
    if (!root) return reply.header('content-type', 'text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    let decoded: string;
    try {
      decoded = decodeURIComponent(url);
    } catch {
      return reply.code(400).send(errorBody('bad_request', 'malformed path'));
    }
    const file = path.resolve(root, `.${path.posix.normalize(decoded)}`);
    if (file !== root && !file.startsWith(`${root}${path.sep}`))
      return reply.code(404).send(errorBody('not_found', 'no such file'));
    if (file !== root && (await serveFile(reply, file))) return reply;
    // A path with an extension names a file: missing is a 404. Others are app routes.
    if (path.extname(decoded) !== '') return reply.code(404).send(errorBody('not_found', 'no such file'));
    if (await serveFile(reply, path.join(root, 'index.html'))) return reply;
    return reply.header('content-type', 'text/html; charset=utf-8').send(NOT_BUILT_PAGE);
  });

  return app;
}

/** Findings the head scan has and the base scan lacks (opened), and the reverse (closed), in SQL. */
async function changedFindings(
  store: Store,
  head: number,
  base: number | undefined,
  limit = CHANGE_LIST_LIMIT,
): Promise<Pick<ChangesResponse, 'opened' | 'closed' | 'unchanged' | 'openedCount' | 'closedCount'>> {
  const db = store.db;
  const side = async (has: number, lacks: number | undefined) => {
    let q = db
      .selectFrom('scan_findings as h')
      .innerJoin('findings as f', 'f.id', 'h.finding_id')
      .where('h.scan_id', '=', has)
      .where('h.suppressed', '=', 0);
    if (lacks !== undefined)
      q = q.where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('scan_findings as b')
              .select('b.finding_id')
              .where('b.scan_id', '=', lacks)
              .where('b.suppressed', '=', 0)
              .whereRef('b.finding_id', '=', 'h.finding_id'),
          ),
        ),
      );
    const count = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    const rows = await q
      .select([
        'f.fingerprint',
        'f.control_id',
        'f.severity',
        'f.namespace',
        'f.kind',
        'f.name',
        'f.field_path',
        'f.title',
        'f.location',
      ])
      .orderBy(
        sql`case f.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end`,
      )
      .orderBy('f.control_id')
      .orderBy('f.id')
      .limit(limit)
      .execute();
    return { count: count?.n ?? 0, rows: driftFindingsOf(rows) };
  };
  const opened = await side(head, base);
  if (base === undefined)
    return { opened: opened.rows, closed: [], unchanged: 0, openedCount: opened.count, closedCount: 0 };
  const closed = await side(base, head);
  const total = await db
    .selectFrom('scan_findings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('scan_id', '=', head)
    .where('suppressed', '=', 0)
    .executeTakeFirst();
  return {
    opened: opened.rows,
    closed: closed.rows,
    unchanged: (total?.n ?? 0) - opened.count,
    openedCount: opened.count,
    closedCount: closed.count,
  };
}
