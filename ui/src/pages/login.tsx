import { useState, type ReactNode, type SyntheticEvent } from 'react';
import { apiRequest, ApiError } from '../api.js';
import { parseHash, useParams } from '../router.js';
import type { Session } from '../types.js';

/** Where to go after signing in: the page the user asked for, never back to login or off-site. */
export function nextTarget(next: string): string {
  if (!next.startsWith('/')) return '#/overview';
  const target = `#${next}`;
  return parseHash(target).page === 'login' ? '#/overview' : target;
}

/**
 * Sign in with a token (one line of the server's `--token-file`), traded for a session cookie;
 * the token itself is not kept by the page. OIDC is offered when the server has it configured.
 */
export function LoginPage(props: { session: Session; onSignedIn: (s: Session) => void }): ReactNode {
  const { get } = useParams();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { login } = props.session;
  const submit = (e: SyntheticEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const token = value.trim();
    if (token === '') {
      setError('Enter a token.');
      return;
    }
    setBusy(true);
    apiRequest<Session>('POST', '/api/v1/auth/login', { token }).then(
      (session) => {
        setValue('');
        setBusy(false);
        if (!session.authenticated) {
          setError('This token was refused.');
          return;
        }
        window.location.hash = nextTarget(get('next'));
        props.onSignedIn(session);
      },
      (err: unknown) => {
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
      {login.token ? (
        <form onSubmit={submit}>
          <p className="muted">Paste an API token issued by whoever runs this dashboard.</p>
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
      ) : null}
      {login.oidcUrl !== null ? (
        <p>
          <a className="button" href={login.oidcUrl}>
            Sign in with your identity provider
          </a>
        </p>
      ) : null}
      {!login.token && login.oidcUrl === null ? (
        <p className="muted">This server offers no way to sign in; ask whoever runs it.</p>
      ) : null}
    </section>
  );
}
