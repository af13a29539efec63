import { useState, type ReactNode, type SyntheticEvent } from 'react';
import { apiGet, ApiError, setToken } from '../api.js';
import { parseHash, useParams } from '../router.js';

/**
 * Sign in with a bearer token (one line of the server's `--token-file`). The token is checked
 * against the API before it is kept, and kept only for this tab.
 */
export function LoginPage(): ReactNode {
  const { get } = useParams();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (e: SyntheticEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const token = value.trim();
    if (token === '') {
      setError('Enter a token.');
      return;
    }
    setBusy(true);
    setToken(token);
    apiGet<unknown>('/api/v1/scans?limit=1').then(
      () => {
        const next = get('next');
        const target = next.startsWith('/') && !next.startsWith('/login') ? `#${next}` : '#/overview';
        window.location.hash = parseHash(target).page === 'login' ? '#/overview' : target;
      },
      (err: unknown) => {
        setToken(null);
        setBusy(false);
        setError(
          err instanceof ApiError && (err.status === 401 || err.status === 403)
            ? 'This token was refused.'
            : err instanceof ApiError
              ? err.message
              : 'Sign-in failed.',
        );
      },
    );
  };
  return (
    <section className="login panel" aria-labelledby="login-title">
      <h1 id="login-title">Sign in to Palisade</h1>
      <p className="muted">Paste an API token issued by whoever runs this dashboard.</p>
      <form onSubmit={submit}>
        <label htmlFor="token">Token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
          }}
          aria-invalid={error !== null}
          aria-describedby={error !== null ? 'login-error' : undefined}
        />
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
        {error !== null ? (
          <p id="login-error" className="error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
    </section>
  );
}
