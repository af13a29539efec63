import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { getToken, setToken, UNAUTHORIZED_EVENT } from './api.js';
import { hrefFor, navigate, PAGES, useRoute, type Page } from './router.js';
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
      return <LoginPage />;
  }
}

/** The dashboard: navigation, theme switch, and the page the URL names. */
export function App(): ReactNode {
  const route = useRoute();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    applyTheme(theme, false);
  }, [theme]);
  useEffect(() => {
    document.title = `${TITLES[route.page]} · Palisade`;
  }, [route.page]);
  useEffect(() => {
    const onUnauthorized = (): void => {
      if (window.location.hash.startsWith('#/login')) return;
      const back = window.location.hash.replace(/^#/, '');
      navigate('login', { next: back });
    };
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => {
      window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    };
  }, []);
  if (route.page === 'login') {
    return (
      <ThemeContext.Provider value={theme}>
        <main id="main">
          <LoginPage />
        </main>
      </ThemeContext.Provider>
    );
  }
  const toggle = (): void => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    applyTheme(next, true);
    setTheme(next);
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
              Dark theme: {theme === 'dark' ? 'on' : 'off'}
            </button>
            {getToken() !== null ? (
              <button
                type="button"
                onClick={() => {
                  setToken(null);
                  navigate('login');
                }}
              >
                Sign out
              </button>
            ) : null}
          </div>
        </aside>
        <main id="main" tabIndex={-1}>
          <Suspense fallback={<p className="muted">Loading…</p>}>
            <PageBody page={route.page} />
          </Suspense>
        </main>
      </div>
    </ThemeContext.Provider>
  );
}
