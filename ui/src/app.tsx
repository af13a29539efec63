import { lazy, Suspense, useCallback, useEffect, useState, type ReactNode } from 'react';
import { apiGet, apiRequest, clearPrefetched, setCsrfToken, UNAUTHORIZED_EVENT } from './api.js';
import type { Session } from './types.js';
import { hrefFor, PAGES, useRoute, type Page } from './router.js';
import { applyTheme, initialTheme, type Theme } from './theme.js';
import { OverviewPage } from './pages/overview.js';
import { LoginPage } from './pages/login.js';
import { ThemeContext } from './components/common.js';

// The overview is the landing page and loads with the app; the others load on first visit.
const FindingsPage = lazy(() => import('./pages/findings.js').then((m) => ({ default: m.FindingsPage })));
const RbacPage = lazy(() => import('./pages/rbac.js').then((m) => ({ default: m.RbacPage })));
const NetworkPage = lazy(() => import('./pages/network.js').then((m) => ({ default: m.NetworkPage })));
const ImagesPage = lazy(() => import('./pages/images.js').then((m) => ({ default: m.ImagesPage })));
const AlertsPage = lazy(() => import('./pages/alerts.js').then((m) => ({ default: m.AlertsPage })));
const DriftPage = lazy(() => import('./pages/drift.js').then((m) => ({ default: m.DriftPage })));

const TITLES: Record<Page, string> = {
  overview: 'Overview',
  findings: 'Findings',
  rbac: 'RBAC',
  network: 'Network',
  images: 'Images',
  alerts: 'Alerts',
  drift: 'Drift',
  login: 'Sign in',
};

function PageBody({ page }: { page: Page }): ReactNode {
  switch (page) {
    case 'overview':
      return <OverviewPage />;
    case 'findings':
      return <FindingsPage />;
    case 'rbac':
      return <RbacPage />;
    case 'network':
      return <NetworkPage />;
    case 'images':
      return <ImagesPage />;
    case 'alerts':
      return <AlertsPage />;
    case 'drift':
      return <DriftPage />;
    case 'login':
      return null;
  }
}

/** The dashboard: asks who we are, then shows navigation, the theme switch and the page the URL names. */
export function App(): ReactNode {
  const route = useRoute();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [session, setSession] = useState<Session | null>(null);
  const [sessionError, setSessionError] = useState<string | null>(null);
  useEffect(() => {
    applyTheme(theme, false);
  }, [theme]);
  useEffect(() => {
    document.title = `${TITLES[route.page]} · Palisade`;
  }, [route.page]);
  const adopt = useCallback((s: Session) => {
    if (!s.authenticated) clearPrefetched();
    setCsrfToken(s.csrfToken);
    setSession(s);
  }, []);
  useEffect(() => {
    apiGet<Session>('/api/v1/session').then(adopt, (err: unknown) => {
      setSessionError(err instanceof Error ? err.message : 'the server cannot be reached');
    });
  }, [adopt]);
  useEffect(() => {
    const onUnauthorized = (): void => {
      setSession((s) => (s ? { ...s, authenticated: false } : s));
    };
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => {
      window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    };
  }, []);
  useEffect(() => {
    if (session && !session.authenticated && route.page !== 'login') {
      const back = window.location.hash.replace(/^#/, '');
      window.history.replaceState(null, '', hrefFor('login', { next: back }));
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    }
  }, [session, route.page]);

  if (sessionError !== null) {
    return (
      <main id="main">
        <p className="error" role="alert">
          Cannot reach the Palisade server: {sessionError}
        </p>
      </main>
    );
  }
  if (session === null) {
    return (
      <main id="main">
        <p className="muted" role="status">
          Loading…
        </p>
      </main>
    );
  }
  if (route.page === 'login' || !session.authenticated) {
    return (
      <ThemeContext.Provider value={theme}>
        <main id="main">
          <LoginPage session={session} onSignedIn={adopt} />
        </main>
      </ThemeContext.Provider>
    );
  }
  const toggle = (): void => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    applyTheme(next, true);
    setTheme(next);
  };
  const signOut = (): void => {
    apiRequest<Session>('POST', '/api/v1/auth/logout').then(adopt, () => {
      setSession({ ...session, authenticated: false });
    });
  };
  return (
    <ThemeContext.Provider value={theme}>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <div className="shell">
        <aside className="side">
          <p className="brand">Palisade</p>
          <nav aria-label="Pages">
            <ul>
              {PAGES.map((p) => (
                <li key={p}>
                  <a href={hrefFor(p)} aria-current={route.page === p ? 'page' : undefined}>
                    {TITLES[p]}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div className="side-foot">
            <button type="button" onClick={toggle} aria-pressed={theme === 'dark'} data-testid="theme-toggle">
              Dark theme
            </button>
            {session.method !== 'none' ? (
              <>
                <span className="muted">
                  {session.subject ?? 'signed in'}
                  {session.role ? ` (${session.role})` : ''}
                </span>
                <button type="button" onClick={signOut}>
                  Sign out
                </button>
              </>
            ) : null}
          </div>
        </aside>
        <main id="main" tabIndex={-1}>
          <Suspense
            fallback={
              <p className="muted" role="status">
                Loading…
              </p>
            }
          >
            <PageBody page={route.page} />
          </Suspense>
        </main>
      </div>
    </ThemeContext.Provider>
  );
}
