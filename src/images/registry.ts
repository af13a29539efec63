import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { InputError } from '../core/index.js';
import type { RegistryCredentials } from './credentials.js';
import { DigestCheck } from './layers.js';
import { isDigest, MANIFEST_ACCEPT, parseImageConfig, parseManifest, selectFromIndex } from './manifest.js';
import { formatImageReference, registryEndpoint, type ImageReference } from './reference.js';
import type { ImageSource, Platform } from './types.js';

/** Options of the registry client. */
export interface RegistryOptions {
  credentials?: RegistryCredentials;
  platform?: Platform;
  /** Blob cache directory (default `~/.palisade/cache/blobs`). */
  cacheDir?: string;
  /** Extra CA certificates (PEM) to trust for the registry's TLS certificate. */
  ca?: string;
  /** Connect and request timeouts in milliseconds. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Use http:// (only for loopback registries without TLS). */
  plainHttp?: boolean;
}

const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/** The default blob cache directory. */
export function defaultBlobCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.HOME ?? homedir(), '.palisade', 'cache', 'blobs');
}

/**
 * Parses a WWW-Authenticate challenge (`Bearer realm="…",service="…",scope="…"` or `Basic
 * realm="…"`) with a single left-to-right scan (no backtracking regex).
 */
export function parseChallenge(
  header: string,
): { scheme: string; params: Record<string, string> } | undefined {
  const s = header.trim();
  const sp = s.indexOf(' ');
  const scheme = (sp === -1 ? s : s.slice(0, sp)).toLowerCase();
  if (scheme === '') return undefined;
  const params: Record<string, string> = {};
  let i = sp === -1 ? s.length : sp + 1;
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === ',')) i++;
    const eq = s.indexOf('=', i);
    if (eq === -1) break;
    const key = s.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let value = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        value += s.charAt(i);
        i++;
      }
      i++;
    } else {
      const end = s.indexOf(',', i);
      value = s.slice(i, end === -1 ? s.length : end).trim();
      i = end === -1 ? s.length : end;
    }
    params[key] = value;
  }
  return { scheme, params };
}

/**
 * A client for one repository of an OCI distribution registry (v2 API): anonymous, bearer-token
 * and basic authentication, manifests with digest verification, blobs cached on disk by digest.
 */
export class RegistryClient {
  private readonly base: string;
  private readonly dispatcher: Dispatcher;
  private authorization: string | undefined;
  private readonly cacheDir: string;
  private readonly where: string;

  constructor(
    private readonly ref: ImageReference,
    private readonly options: RegistryOptions = {},
  ) {
    const host = registryEndpoint(ref.registry);
    this.base = `${options.plainHttp === true ? 'http' : 'https'}://${host}`;
    this.where = `registry ${ref.registry}`;
    this.cacheDir = options.cacheDir ?? defaultBlobCacheDir();
    const timeout = options.requestTimeoutMs ?? 60_000;
    this.dispatcher = new Agent({
      connect: {
        timeout: options.connectTimeoutMs ?? 10_000,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
      },
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private describeUser(): string {
    const c = this.options.credentials;
    return c === undefined
      ? 'anonymously'
      : c.kind === 'basic'
        ? `as ${c.username}`
        : 'with an identity token';
  }

  /** Obtains authorization for a challenge; a refused login is an input error (exit 2). */
  private async authorize(challenge: string, scope: string): Promise<void> {
    const parsed = parseChallenge(challenge);
    const creds = this.options.credentials;
    if (parsed?.scheme === 'basic') {
      if (creds?.kind !== 'basic')
        throw new InputError(
          `${this.where}: requires a username and password (use --username and --password-stdin or docker login)`,
        );
      this.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      return;
    }
    if (parsed?.scheme !== 'bearer' || parsed.params.realm === undefined)
      throw new InputError(`${this.where}: unsupported authentication challenge`);
    let realm: URL;
    try {
      realm = new URL(parsed.params.realm);
    } catch {
      throw new InputError(`${this.where}: token realm is not a URL`);
    }
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.options.plainHttp === true))
      throw new InputError(`${this.where}: token realm ${realm.origin} is not https`);
    if (parsed.params.service !== undefined) realm.searchParams.set('service', parsed.params.service);
    realm.searchParams.set('scope', parsed.params.scope ?? scope);
    const headers: Record<string, string> = {};
    let method: 'GET' | 'POST' = 'GET';
    let body: string | undefined;
    if (creds?.kind === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    } else if (creds?.kind === 'identity-token') {
      method = 'POST';
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: creds.token,
        service: parsed.params.service ?? '',
        scope: parsed.params.scope ?? scope,
        client_id: 'palisade',
      });
      body = form.toString();
    }
    const res = await this.send(realm.toString(), {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await readLimited(res.body, 1024 * 1024, this.where);
    if (res.statusCode === 401 || res.statusCode === 403)
      throw new InputError(
        `${this.where}: authentication ${this.describeUser()} was refused (wrong username or password?); check --username/--password-stdin or docker login`,
      );
    if (res.statusCode !== 200)
      throw new InputError(`${this.where}: token service answered HTTP ${res.statusCode}`);
    let token: unknown;
    try {
      const doc = JSON.parse(text) as Record<string, unknown>;
      token = doc.token ?? doc.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '')
      throw new InputError(`${this.where}: token service gave no token`);
    this.authorization = `Bearer ${token}`;
  }

  private async send(
    url: string,
    init: { method: 'GET' | 'HEAD' | 'POST'; headers: Record<string, string>; body?: string },
  ): Promise<Dispatcher.ResponseData> {
    try {
      return await request(url, { ...init, dispatcher: this.dispatcher });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const reason =
        code === 'UND_ERR_CONNECT_TIMEOUT'
          ? 'connection timed out'
          : code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
            ? 'request timed out'
            : (e as Error).message;
      throw new InputError(`${this.where}: ${reason}`);
    }
  }

  /** GETs an API path, answering one authentication challenge, following redirects for blobs. */
  private async get(apiPath: string, accept: string): Promise<Dispatcher.ResponseData> {
    const res = await this.getOrMissing(apiPath, accept);
    if (res === undefined)
      throw new InputError(
        `${this.where}: ${apiPath.includes('/manifests/') ? 'manifest' : 'blob'} not found: ${formatImageReference(this.ref)}`,
      );
    return res;
  }

  /** Like `get`, but a 404 is `undefined` rather than an error. */
  private async getOrMissing(apiPath: string, accept: string): Promise<Dispatcher.ResponseData | undefined> {
    const scope = `repository:${this.ref.repository}:pull`;
    let url = `${this.base}${apiPath}`;
    let challenged = false;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const sameOrigin = new URL(url).origin === this.base;
      const headers: Record<string, string> = { accept };
      if (sameOrigin && this.authorization !== undefined) headers.authorization = this.authorization;
      const res = await this.send(url, { method: 'GET', headers });
      if (res.statusCode === 401 && sameOrigin && !challenged) {
        const challenge = res.headers['www-authenticate'];
        await res.body.dump();
        if (typeof challenge !== 'string')
          throw new InputError(`${this.where}: HTTP 401 without a challenge`);
        challenged = true;
        await this.authorize(challenge, scope);
        hop--;
        continue;
      }
      if ([301, 302, 303, 307, 308].includes(res.statusCode)) {
        const location = res.headers.location;
        await res.body.dump();
        if (typeof location !== 'string') throw new InputError(`${this.where}: redirect without a location`);
        url = new URL(location, url).toString();
        continue;
      }
      if (res.statusCode === 401 || res.statusCode === 403) {
        await res.body.dump();
        throw new InputError(
          `${this.where}: access to ${this.ref.repository} ${this.describeUser()} was refused (HTTP ${res.statusCode}); wrong username or password, or no pull permission`,
        );
      }
      if (res.statusCode === 404) {
        await res.body.dump();
        return undefined;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new InputError(`${this.where}: GET ${apiPath} answered HTTP ${res.statusCode}`);
      }
      return res;
    }
    throw new InputError(`${this.where}: too many redirects`);
  }

  /** Fetches a manifest by tag or digest; returns its text and the digest of its bytes. */
  async getManifest(reference: string): Promise<{ text: string; digest: string; contentType: string }> {
    const res = await this.get(`/v2/${this.ref.repository}/manifests/${reference}`, MANIFEST_ACCEPT);
    return this.readManifest(res, reference);
  }

  private async readManifest(
    res: Dispatcher.ResponseData,
    reference: string,
  ): Promise<{ text: string; digest: string; contentType: string }> {
    const body = await readLimitedBuffer(res.body, MAX_MANIFEST_BYTES, this.where);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (isDigest(reference) && reference.startsWith('sha256:') && reference !== digest)
      throw new InputError(`${this.where}: manifest ${reference} does not match its digest (got ${digest})`);
    const ct = res.headers['content-type'];
    return {
      text: body.toString('utf8'),
      digest,
      contentType: typeof ct === 'string' ? (ct.split(';')[0] ?? '') : '',
    };
  }

  /**
   * Fetches a manifest by tag or digest when it exists (signature tags, referrers fallback
   * tags); `undefined` when the registry answers 404. Same checks as `getManifest`.
   */
  async findManifest(
    reference: string,
  ): Promise<{ text: string; digest: string; contentType: string } | undefined> {
    const res = await this.getOrMissing(`/v2/${this.ref.repository}/manifests/${reference}`, MANIFEST_ACCEPT);
    if (res === undefined) return undefined;
    return this.readManifest(res, reference);
  }

  /** The repository's tags (`/tags/list`, following `Link` pages), at most `max`. */
  async listTags(max = 10_000): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${this.ref.repository}/tags/list?n=1000`;
    for (let page = 0; next !== undefined && page < 100 && tags.length < max; page++) {
      const res = await this.get(next, 'application/json');
      const link = res.headers.link;
      const text = (await readLimitedBuffer(res.body, MAX_MANIFEST_BYTES, this.where)).toString('utf8');
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        throw new InputError(`${this.where}: tag list of ${this.ref.repository} is not JSON`);
      }
      const list = (doc as { tags?: unknown } | null)?.tags;
      if (Array.isArray(list))
        for (const t of list) if (typeof t === 'string' && tags.length < max) tags.push(t);
      next = undefined;
      if (typeof link === 'string') {
        const start = link.indexOf('<');
        const end = link.indexOf('>', start + 1);
        if (start !== -1 && end !== -1 && link.slice(end).includes('rel="next"')) {
          const url = new URL(link.slice(start + 1, end), this.base);
          if (url.origin === this.base && url.pathname.startsWith('/v2/')) next = url.pathname + url.search;
        }
      }
    }
    return tags;
  }

  /** The OCI 1.1 referrers index of a digest, or `undefined` when the registry has no referrers API. */
  async findReferrers(digest: string): Promise<string | undefined> {
    if (!isDigest(digest)) throw new InputError(`${this.where}: invalid digest ${digest}`);
    const res = await this.getOrMissing(
      `/v2/${this.ref.repository}/referrers/${digest}`,
      'application/vnd.oci.image.index.v1+json',
    );
    if (res === undefined) return undefined;
    const ct = res.headers['content-type'];
    const text = (await readLimitedBuffer(res.body, MAX_MANIFEST_BYTES, this.where)).toString('utf8');
    return typeof ct === 'string' && ct.startsWith('application/vnd.oci.image.index.v1+json')
      ? text
      : undefined;
  }

  /** Reads a small blob whole (signature payloads, bundles), verified against its digest. */
  async readSmallBlob(digest: string, size: number, max = 4 * 1024 * 1024): Promise<Buffer> {
    if (size > max) throw new InputError(`${this.where}: blob ${digest} is larger than ${max} bytes`);
    const stream = await this.openBlob(digest, size);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > max) throw new InputError(`${this.where}: blob ${digest} is larger than ${max} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  private cachePath(digest: string): string {
    const [alg, hex] = digest.split(':') as [string, string];
    return path.join(this.cacheDir, alg, hex);
  }

  /**
   * Makes sure a blob is in the cache: downloaded to a temporary file beside its final name,
   * hashed on the way, renamed only when the digest matches (never more bytes than declared).
   */
  async fetchBlob(digest: string, size: number): Promise<string> {
    if (!isDigest(digest)) throw new InputError(`${this.where}: invalid digest ${digest}`);
    const file = this.cachePath(digest);
    try {
      await stat(file);
      return file;
    } catch {
      // Not cached yet.
    }
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    const res = await this.get(`/v2/${this.ref.repository}/blobs/${digest}`, '*/*');
    const hash = createHash(digest.startsWith('sha512:') ? 'sha512' : 'sha256');
    let received = 0;
    const out = createWriteStream(tmp);
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (size > 0 && received > size)
          throw new InputError(`${this.where}: blob ${digest} is larger than its declared ${size} bytes`);
        hash.update(chunk);
        if (!out.write(chunk))
          await new Promise<void>((resolve) =>
            out.once('drain', () => {
              resolve();
            }),
          );
      }
      await new Promise<void>((resolve, reject) => {
        out.end((e?: Error | null) => {
          if (e) reject(e);
          else resolve();
        });
      });
      const actual = `${digest.split(':')[0] ?? 'sha256'}:${hash.digest('hex')}`;
      if (actual !== digest)
        throw new InputError(`${this.where}: blob ${digest} does not match its digest (got ${actual})`);
      await rename(tmp, file);
      return file;
    } catch (e) {
      out.destroy();
      res.body.destroy();
      await rm(tmp, { force: true });
      throw e;
    }
  }

  /** Opens a cached blob, fetching it first, verifying it again as it streams. */
  async openBlob(digest: string, size: number): Promise<Readable> {
    const file = await this.fetchBlob(digest, size);
    return createReadStream(file).pipe(
      new DigestCheck(digest, (r) => new InputError(`${this.where}: cached blob ${digest}: ${r}`)),
    );
  }
}

async function readLimitedBuffer(
  body: Dispatcher.ResponseData['body'],
  max: number,
  where: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw new InputError(`${where}: response larger than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readLimited(
  body: Dispatcher.ResponseData['body'],
  max: number,
  where: string,
): Promise<string> {
  return (await readLimitedBuffer(body, max, where)).toString('utf8');
}

/** Opens an image in a registry: resolves tag or digest, an index by platform, the config. */
export async function openRegistryImage(
  ref: ImageReference,
  options: RegistryOptions = {},
): Promise<ImageSource> {
  const client = new RegistryClient(ref, options);
  const where = `registry ${ref.registry}`;
  try {
    let m = await client.getManifest(ref.digest ?? ref.tag ?? 'latest');
    let parsed = parseManifest(m.text, `${where}: ${formatImageReference(ref)}`, m.contentType);
    for (let depth = 0; parsed.kind === 'index'; depth++) {
      if (depth > 3) throw new InputError(`${where}: indexes nested too deeply`);
      const chosen = selectFromIndex(
        parsed.manifests,
        options.platform,
        `${where}: ${formatImageReference(ref)}`,
      );
      m = await client.getManifest(chosen.digest);
      parsed = parseManifest(m.text, `${where}: ${chosen.digest}`, m.contentType);
    }
    const image = parsed;
    const configStream = await client.openBlob(image.config.digest, image.config.size);
    const configText = await readStream(configStream, MAX_MANIFEST_BYTES, where);
    const sizes = new Map(image.layers.map((l) => [l.digest, l.size]));
    return {
      name: formatImageReference(ref),
      manifestDigest: m.digest,
      config: parseImageConfig(configText, where),
      layers: image.layers,
      openBlob: (digest) => client.openBlob(digest, sizes.get(digest) ?? 0),
      close: () => client.close(),
    };
  } catch (e) {
    await client.close();
    throw e;
  }
}

async function readStream(stream: Readable, max: number, where: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new InputError(`${where}: document larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
