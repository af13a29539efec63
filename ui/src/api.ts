import { useEffect, useState } from 'react';

const TIMEOUT_MS = 15_000;

let csrfToken: string | null = null;

/** Remembers the CSRF token the server issued with the session (sent on every POST). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** A failed API call: the HTTP status (0 for network or timeout) and the server's reason. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Fired on window when the server answers 401, so the app can show the login page. */
export const UNAUTHORIZED_EVENT = 'palisade:unauthorized';

/** The server's reason from an error body `{ error: { code, message } }`. */
function reasonOf(body: unknown, fallback: string): string {
  if (typeof body === 'object' && body !== null) {
    const err = (body as Record<string, unknown>)['error'];
    if (typeof err === 'object' && err !== null) {
      const message = (err as Record<string, unknown>)['message'];
      if (typeof message === 'string') return message;
    }
  }
  return fallback;
}

/** GETs an `/api/v1/…` path (relative to the page, with the session cookie) as JSON of type T. */
export async function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  return apiRequest<T>('GET', path, undefined, signal);
}

/** Sends a request to the API; a body is sent as JSON. Throws ApiError on a non-2xx answer. */
export async function apiRequest<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(path.replace(/^\//, ''), {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      signal: combined,
      credentials: 'same-origin',
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(
      0,
      timeout.aborted ? 'the server did not answer in time' : 'the server cannot be reached',
    );
  }
  const text = await res.text();
  let parsed: unknown = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!res.ok) {
    if (res.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
    throw new ApiError(res.status, reasonOf(parsed, `${res.status} ${res.statusText}`));
  }
  return parsed as T;
}

/** The state of one fetched resource. */
export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: ApiError } | { state: 'ok'; data: T };

const prefetched = new Map<string, Promise<unknown>>();

/**
 * Starts GETs before the app has rendered (the landing page's data, in parallel with the
 * session check); the first `useApi` of each path takes the answer instead of asking again.
 */
export function prefetch(paths: readonly string[]): void {
  for (const p of paths) {
    const pending = apiGet<unknown>(p);
    pending.catch(() => undefined);
    prefetched.set(p, pending);
  }
}

/** Drops prefetched answers (they were asked without a session and would be stale). */
export function clearPrefetched(): void {
  prefetched.clear();
}

function takePrefetched<T>(path: string): Promise<T> | undefined {
  const pending = prefetched.get(path);
  if (pending) prefetched.delete(path);
  return pending as Promise<T> | undefined;
}

/** Fetches `path` whenever it changes (null: nothing to fetch); stale answers are dropped. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [result, setResult] = useState<{ path: string | null; value: Loaded<T> }>({
    path: null,
    value: { state: 'loading' },
  });
  useEffect(() => {
    if (path === null) return undefined;
    const ctl = new AbortController();
    (takePrefetched<T>(path) ?? apiGet<T>(path, ctl.signal)).then(
      (data) => {
        setResult({ path, value: { state: 'ok', data } });
      },
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        const error = err instanceof ApiError ? err : new ApiError(0, String(err));
        setResult({ path, value: { state: 'error', error } });
      },
    );
    return () => {
      ctl.abort();
    };
  }, [path]);
  if (path === null || result.path !== path) return { state: 'loading' };
  return result.value;
}

/** Builds `/api/v1/NAME?query` dropping empty parameters. */
export function apiPath(name: string, query?: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  if (query) for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return `/api/v1/${name}${qs ? `?${qs}` : ''}`;
}
