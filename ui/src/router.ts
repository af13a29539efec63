import { useCallback, useSyncExternalStore } from 'react';

/** The pages of the dashboard, in navigation order. */
export const PAGES = ['overview', 'findings', 'rbac', 'network', 'images', 'alerts', 'drift'] as const;
export type Page = (typeof PAGES)[number] | 'login';

/** Where the app is: a page and its query parameters (every filter lives here, so links share). */
export interface Route {
  page: Page;
  params: URLSearchParams;
}

function isPage(s: string): s is Page {
  return s === 'login' || (PAGES as readonly string[]).includes(s);
}

/** Parses `#/page?a=b` into a route; anything unknown is the overview. */
export function parseHash(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = raw.indexOf('?');
  const path = (q === -1 ? raw : raw.slice(0, q)).replace(/^\/+/, '');
  const params = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  return { page: isPage(path) ? path : 'overview', params };
}

/** Builds the hash for a page and parameters, dropping empty values so links stay short. */
export function hrefFor(page: Page, params?: URLSearchParams | Record<string, string | undefined>): string {
  const out = new URLSearchParams();
  if (params instanceof URLSearchParams) {
    for (const [k, v] of params) if (v !== '') out.append(k, v);
  } else if (params) {
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') out.set(k, v);
  }
  const qs = out.toString();
  return `#/${page}${qs ? `?${qs}` : ''}`;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  window.addEventListener('popstate', onChange);
  return () => {
    window.removeEventListener('hashchange', onChange);
    window.removeEventListener('popstate', onChange);
  };
}

function snapshot(): string {
  return window.location.hash;
}

/** Navigates to a page, adding a history entry. */
export function navigate(page: Page, params?: Record<string, string | undefined>): void {
  window.location.hash = hrefFor(page, params);
}

/** The current route, re-rendering on navigation. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, snapshot);
  return parseHash(hash);
}

/**
 * One page's URL parameters as state: `get` reads, `set` merges updates into the URL
 * (replacing the history entry so typing in a search box does not flood Back).
 */
export function useParams(): {
  params: URLSearchParams;
  get: (key: string) => string;
  set: (updates: Record<string, string | undefined>) => void;
} {
  const route = useRoute();
  const { page, params } = route;
  const set = useCallback(
    (updates: Record<string, string | undefined>) => {
      const next = new URLSearchParams(parseHash(window.location.hash).params);
      for (const [k, v] of Object.entries(updates)) {
        if (v === undefined || v === '') next.delete(k);
        else next.set(k, v);
      }
      const href = hrefFor(page, next);
      window.history.replaceState(null, '', href);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    },
    [page],
  );
  return { params, get: (key) => params.get(key) ?? '', set };
}
