import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { apiPath, prefetch } from './api.js';
import { App } from './app.js';
import { OVERVIEW_QUERIES } from './pages/overview.js';
import { parseHash } from './router.js';
import './styles.css';

// The landing page's data is asked for while the session is checked, not after.
if (parseHash(window.location.hash).page === 'overview')
  prefetch(OVERVIEW_QUERIES.map((q) => apiPath(q.name, q.query)));

const root = document.getElementById('root');
if (!root) throw new Error('the page has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
