/**
 * OIDC login against a tiny issuer this test starts on 127.0.0.1: discovery, the
 * authorization redirect with PKCE, the code exchange (the issuer checks the verifier), and
 * the ID token's signature, issuer, audience and nonce as palisade serve validates them.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type RunningServer } from './testing.js';

type Mode = 'ok' | 'wrong-audience' | 'wrong-nonce' | 'foreign-key' | 'expired' | 'no-groups';

let issuer: Server;
let issuerUrl = '';
let mode: Mode = 'ok';
let key: CryptoKey;
let foreignKey: CryptoKey;
const codes = new Map<string, { nonce: string; challenge: string; redirect: string; client: string }>();
const seenVerifiers: string[] = [];
let dir: string;
let palisade: RunningServer;

async function idToken(nonce: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    nonce: mode === 'wrong-nonce' ? 'another-nonce' : nonce,
    email: 'ana@example.com',
    ...(mode === 'no-groups' ? {} : { groups: ['staff', 'security'] }),
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuerUrl)
    .setSubject('user-42')
    .setAudience(mode === 'wrong-audience' ? 'someone-else' : 'palisade')
    .setIssuedAt(now - 10)
    .setExpirationTime(mode === 'expired' ? now - 3600 : now + 300)
    .sign(mode === 'foreign-key' ? foreignKey : key);
}

async function body(req: import('node:http').IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  ({ privateKey: foreignKey } = await generateKeyPair('RS256'));
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  issuer = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuerUrl);
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      };
      if (url.pathname === '/.well-known/openid-configuration') {
        json(200, {
          issuer: issuerUrl,
          authorization_endpoint: `${issuerUrl}/authorize`,
          token_endpoint: `${issuerUrl}/token`,
          jwks_uri: `${issuerUrl}/jwks`,
        });
        return;
      }
      if (url.pathname === '/jwks') {
        json(200, { keys: [jwk] });
        return;
      }
      if (url.pathname === '/authorize') {
        const p = url.searchParams;
        if (p.get('code_challenge_method') !== 'S256' || p.get('response_type') !== 'code') {
          json(400, { error: 'invalid_request' });
          return;
        }
        const code = `code-${codes.size + 1}`;
        codes.set(code, {
          nonce: p.get('nonce') ?? '',
          challenge: p.get('code_challenge') ?? '',
          redirect: p.get('redirect_uri') ?? '',
          client: p.get('client_id') ?? '',
        });
        const back = new URL(p.get('redirect_uri') ?? '');
        back.searchParams.set('code', code);
        back.searchParams.set('state', p.get('state') ?? '');
        res.writeHead(302, { location: back.toString() }).end();
        return;
      }
      if (url.pathname === '/token' && req.method === 'POST') {
        const form = new URLSearchParams(await body(req));
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        seenVerifiers.push(verifier);
        if (
          !grant ||
          grant.client !== form.get('client_id') ||
          grant.redirect !== form.get('redirect_uri') ||
          createHash('sha256').update(verifier).digest('base64url') !== grant.challenge
        ) {
          json(400, { error: 'invalid_grant' });
          return;
        }
        json(200, { access_token: 'at', token_type: 'Bearer', id_token: await idToken(grant.nonce) });
        return;
      }
      json(404, { error: 'not found' });
    })();
  });
  await new Promise<void>((r) => issuer.listen(0, '127.0.0.1', r));
  issuerUrl = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}`;
  dir = mkdtempSync(path.join(tmpdir(), 'palisade-oidc-'));
  palisade = await startTestServer(
    { demo: true, oidcIssuer: issuerUrl, oidcClientId: 'palisade', oidcAdminGroup: 'security' },
    dir,
  );
}, 120_000);

afterAll(async () => {
  await palisade.stop();
  await new Promise<void>((r) =>
    issuer.close(() => {
      r();
    }),
  );
  rmSync(dir, { recursive: true, force: true });
});

async function get(
  url: string,
  cookie?: string,
): Promise<{ status: number; location: string; cookie: string; text: string }> {
  const res = await request(url, {
    headers: cookie !== undefined ? { cookie } : {},
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    location: String(res.headers.location ?? ''),
    cookie: String(res.headers['set-cookie'] ?? '').split(';')[0] ?? '',
    text,
  };
}

/** Walks the browser's redirects: login → issuer → callback. */
async function login(): Promise<{ callback: string; result: Awaited<ReturnType<typeof get>> }> {
  const start = await get(`${palisade.url}/api/v1/auth/oidc/login`);
  expect(start.status).toBe(302);
  expect(start.location.startsWith(`${issuerUrl}/authorize?`)).toBe(true);
  const atIssuer = await get(start.location);
  expect(atIssuer.status).toBe(302);
  const callback = atIssuer.location;
  expect(callback.startsWith(`${palisade.url}/api/v1/auth/oidc/callback?`)).toBe(true);
  return { callback, result: await get(callback) };
}

describe('OIDC login (authorization code + PKCE)', () => {
  it('offers the OIDC login and no token login', async () => {
    const s = JSON.parse((await get(`${palisade.url}/api/v1/session`)).text) as { login: unknown };
    expect(s.login).toEqual({ token: false, oidcUrl: '/api/v1/auth/oidc/login' });
  });

  it('signs in, mapping the admin group to the admin role', async () => {
    mode = 'ok';
    const { result } = await login();
    expect(result.status).toBe(302);
    expect(result.location).toBe('/');
    expect(result.cookie).toMatch(/^palisade_session=/);
    const session = JSON.parse((await get(`${palisade.url}/api/v1/session`, result.cookie)).text) as Record<
      string,
      unknown
    >;
    expect(session).toMatchObject({
      authenticated: true,
      method: 'oidc',
      role: 'admin',
      subject: 'ana@example.com',
    });
    expect((await get(`${palisade.url}/api/v1/summary`, result.cookie)).status).toBe(200);
    expect(seenVerifiers.at(-1)).toMatch(/^[\w-]{43,128}$/);
  });

  it('gives the viewer role without the admin group', async () => {
    mode = 'no-groups';
    const { result } = await login();
    const session = JSON.parse((await get(`${palisade.url}/api/v1/session`, result.cookie)).text) as Record<
      string,
      unknown
    >;
    expect(session).toMatchObject({ method: 'oidc', role: 'viewer' });
  });

  it.each<[Mode, RegExp]>([
    ['wrong-audience', /ID token is not valid/],
    ['wrong-nonce', /nonce/],
    ['foreign-key', /ID token is not valid/],
    ['expired', /ID token is not valid/],
  ])('refuses an ID token with %s', async (m, message) => {
    mode = m;
    const { result } = await login();
    expect(result.status).toBe(400);
    expect(result.cookie).toBe('');
    expect(JSON.parse(result.text)).toMatchObject({ error: { code: 'oidc_failed' } });
    expect(result.text).toMatch(message);
    expect(result.text).not.toMatch(/eyJ/);
  });

  it('refuses a replayed or forged callback', async () => {
    mode = 'ok';
    const { callback, result } = await login();
    expect(result.status).toBe(302);
    const replay = await get(callback);
    expect(replay.status).toBe(400);
    expect(replay.cookie).toBe('');
    const forged = await get(`${palisade.url}/api/v1/auth/oidc/callback?code=code-1&state=made-up`);
    expect(forged.status).toBe(400);
    const missing = await get(`${palisade.url}/api/v1/auth/oidc/callback`);
    expect(missing.status).toBe(400);
  });
});
