/**
 * Who may call the dashboard: static bearer tokens from a file (`token role` per line,
 * compared in constant time), OIDC sessions (authorization code + PKCE against one issuer,
 * ID token checked against the issuer's JWKS), and the cookie sessions both lead to, each with
 * its own CSRF token. Sessions and pending logins live in bounded in-memory maps.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { InputError } from '../core/index.js';
import type { ApiRole } from './api-types.js';

/** One accepted bearer token. The token itself is kept only as a SHA-256 digest. */
export interface TokenEntry {
  digest: Buffer;
  role: ApiRole;
  /** `token #N` (its line number): what logs and the session show instead of the token. */
  label: string;
}

/** Shortest token accepted: shorter ones are guessable. */
export const MIN_TOKEN_LENGTH = 16;

const TOKEN_LINE = /^(\S+)\s+(\S+)\s*$/;

/**
 * Parses a token file: one `token role` per line (roles `viewer`, `admin`), blank lines and
 * `#` comments ignored. Every problem is reported with its line, never with the token. An
 * empty file is an error (it would lock everyone out silently).
 */
export function parseTokenFile(text: string, file: string): TokenEntry[] {
  const out: TokenEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    const m = TOKEN_LINE.exec(line);
    if (!m) {
      problems.push(`${where}: expected "TOKEN ROLE" (two words), found ${line.split(/\s+/).length} word(s)`);
      return;
    }
    const [, token = '', role = ''] = m;
    if (role !== 'viewer' && role !== 'admin') {
      problems.push(`${where}: role must be viewer or admin`);
      return;
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      problems.push(
        `${where}: token shorter than ${MIN_TOKEN_LENGTH} characters; generate one with: openssl rand -hex 24`,
      );
      return;
    }
    const digest = createHash('sha256').update(token).digest();
    const hex = digest.toString('hex');
    if (seen.has(hex)) {
      problems.push(`${where}: the same token appears twice`);
      return;
    }
    seen.add(hex);
    out.push({ digest, role, label: `token #${i + 1}` });
  });
  if (problems.length > 0) throw new InputError(problems.join('\n'));
  if (out.length === 0)
    throw new InputError(`${file}: holds no token; add lines "TOKEN viewer" or "TOKEN admin"`);
  return out;
}

/**
 * The entry a presented token matches, compared in constant time: the presented token is
 * hashed and compared with every entry's digest (no early exit), so neither the position of a
 * mismatch nor which entry matched shows in the timing.
 */
export function matchToken(entries: readonly TokenEntry[], presented: string): TokenEntry | undefined {
  const digest = createHash('sha256').update(presented).digest();
  let found: TokenEntry | undefined;
  for (const e of entries) if (timingSafeEqual(e.digest, digest) && found === undefined) found = e;
  return found;
}

/** An authenticated principal. */
export interface Principal {
  method: 'none' | 'token' | 'oidc';
  role: ApiRole;
  subject: string;
}

/** A cookie session. */
export interface Session extends Principal {
  id: string;
  csrf: string;
  expiresAt: number;
}

/** Compares two strings in constant time (for CSRF tokens). */
export function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** Random URL-safe text of `bytes` random bytes. */
export function randomText(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Cookie sessions, bounded: at most `max` live sessions (the oldest is dropped first), each
 * valid for `ttlMs`. Expired sessions are removed when met and when new ones are made.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly now: () => number,
    readonly ttlMs = 8 * 3_600_000,
    private readonly max = 10_000,
  ) {}

  /** Starts a session for a principal. */
  create(p: Principal): Session {
    const t = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= t) this.sessions.delete(id);
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next();
      if (oldest.done === true) break;
      this.sessions.delete(oldest.value);
    }
    const s: Session = { ...p, id: randomText(), csrf: randomText(), expiresAt: t + this.ttlMs };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session with this id, if any. */
  get(id: string): Session | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  /** Ends a session. */
  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Number of live and not yet swept sessions. */
  get size(): number {
    return this.sessions.size;
  }
}

/** OIDC configuration as given on the command line. */
export interface OidcOptions {
  issuer: string;
  clientId: string;
  /** For confidential clients; public clients rely on PKCE alone. */
  clientSecret?: string | undefined;
  /**
   * Where the issuer sends the browser back: `https://host:port/api/v1/auth/oidc/callback`; a
   * function when it is known only once the server listens (an ephemeral port).
   */
  redirectUri: string | (() => string);
  /** Members of this group (ID token `groups` claim) get the admin role; others viewer. */
  adminGroup?: string | undefined;
  /** Connect-and-response timeout of calls to the issuer (default 10 s). */
  timeoutMs?: number | undefined;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  issuer: string;
}

interface PendingLogin {
  verifier: string;
  nonce: string;
  expiresAt: number;
}

function isDiscovery(v: unknown): v is Discovery {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'issuer'].every(
    (k) => typeof o[k] === 'string',
  );
}

async function fetchJson(url: string, timeoutMs: number, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  if (Number(res.headers.get('content-length') ?? 0) > 1_000_000) {
    await res.body?.cancel();
    throw new Error(`${url} answered more than 1 MB`);
  }
  const text = await res.text();
  if (text.length > 1_000_000) throw new Error(`${url} answered more than 1 MB`);
  return JSON.parse(text) as unknown;
}

/** An error of the OIDC flow, shown to the user (never with a token in it). */
export class OidcError extends Error {}

/**
 * The OIDC relying party: discovery on first use (cached), authorization requests with state,
 * nonce and a PKCE S256 challenge, and the callback that exchanges the code and validates the
 * ID token (signature by the issuer's JWKS, issuer, audience, expiry, nonce).
 */
export class OidcClient {
  private discovery: Promise<Discovery> | undefined;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly pending = new Map<string, PendingLogin>();
  private readonly timeoutMs: number;

  private get redirectUri(): string {
    const r = this.options.redirectUri;
    return typeof r === 'string' ? r : r();
  }

  constructor(
    readonly options: OidcOptions,
    private readonly now: () => number,
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    let issuer: URL;
    try {
      issuer = new URL(options.issuer);
    } catch {
      throw new InputError(`--oidc-issuer is not a URL: pass https://issuer.example.com`);
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
    if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && loopback))
      throw new InputError(`--oidc-issuer must be an https:// URL (http:// only on loopback)`);
  }

  private discover(): Promise<Discovery> {
    this.discovery ??= (async () => {
      const url = `${trimSlashes(this.options.issuer)}/.well-known/openid-configuration`;
      const doc = await fetchJson(url, this.timeoutMs);
      if (!isDiscovery(doc)) throw new OidcError(`the issuer's discovery document lacks endpoints`);
      if (trimSlashes(doc.issuer) !== trimSlashes(this.options.issuer))
        throw new OidcError(`the discovery document names issuer ${doc.issuer}, not ${this.options.issuer}`);
      this.jwks = createRemoteJWKSet(new URL(doc.jwks_uri), {
        timeoutDuration: this.timeoutMs,
        cooldownDuration: 30_000,
      });
      return doc;
    })().catch((e: unknown) => {
      this.discovery = undefined;
      throw e instanceof OidcError ? e : new OidcError(`OIDC discovery failed: ${errorText(e)}`);
    });
    return this.discovery;
  }

  /** Starts a login: the URL to send the browser to, and the state it will come back with. */
  async authorizationUrl(): Promise<{ url: string; state: string }> {
    const d = await this.discover();
    const t = this.now();
    for (const [k, p] of this.pending) if (p.expiresAt <= t) this.pending.delete(k);
    if (this.pending.size >= 1000) {
      const oldest = this.pending.keys().next();
      if (oldest.done !== true) this.pending.delete(oldest.value);
    }
    const state = randomText();
    const verifier = randomText(48);
    const nonce = randomText();
    this.pending.set(state, { verifier, nonce, expiresAt: t + 10 * 60_000 });
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const url = new URL(d.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.options.clientId);
    url.searchParams.set('redirect_uri', this.redirectUri);
    url.searchParams.set('scope', 'openid profile email');
    url.searchParams.set('state', state);
    url.searchParams.set('nonce', nonce);
    url.searchParams.set('code_challenge', challenge);
    url.searchParams.set('code_challenge_method', 'S256');
    return { url: url.toString(), state };
  }

  /** Finishes a login: checks the state, redeems the code and validates the ID token. */
  async callback(state: string, code: string): Promise<Principal> {
    const pending = this.pending.get(state);
    this.pending.delete(state);
    if (!pending || pending.expiresAt <= this.now())
      throw new OidcError('unknown or expired login state; start the login again');
    const d = await this.discover();
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.redirectUri,
      client_id: this.options.clientId,
      code_verifier: pending.verifier,
    });
    if (this.options.clientSecret !== undefined) form.set('client_secret', this.options.clientSecret);
    let body: unknown;
    try {
      body = await fetchJson(d.token_endpoint, this.timeoutMs, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
      });
    } catch (e) {
      throw new OidcError(`the token endpoint refused the code: ${errorText(e)}`);
    }
    const idToken =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>).id_token : undefined;
    if (typeof idToken !== 'string') throw new OidcError('the token endpoint returned no id_token');
    const jwks = this.jwks;
    if (!jwks) throw new OidcError('OIDC keys are not loaded');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, jwks, {
        issuer: d.issuer,
        audience: this.options.clientId,
        currentDate: new Date(this.now()),
        clockTolerance: 60,
      }));
    } catch (e) {
      throw new OidcError(`the ID token is not valid: ${errorText(e)}`);
    }
    if (payload.nonce !== pending.nonce)
      throw new OidcError('the ID token does not carry this login’s nonce');
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw new OidcError('the ID token has no subject');
    const groups = Array.isArray(payload.groups) ? payload.groups.filter((g) => typeof g === 'string') : [];
    const admin = this.options.adminGroup !== undefined && groups.includes(this.options.adminGroup);
    const email = typeof payload.email === 'string' ? payload.email : undefined;
    return { method: 'oidc', role: admin ? 'admin' : 'viewer', subject: email ?? payload.sub };
  }
}

/** The URL without trailing slashes (a loop, not a regex: no backtracking on long runs of `/`). */
function trimSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  return url.slice(0, end);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
