import type { Command } from 'commander';
import type { CliIO } from '../io.js';

const SERVE_HELP = `
Serves the dashboard: a JSON API under /api/v1 (documented in docs/api/openapi.json) over the
history store, and the web UI built into dist/ui. The RBAC and network pages analyse the demo
cluster (--demo) or the objects of the latest recorded scan when they can be read again.

Authentication is required unless --listen is a loopback address and --no-auth is given:
  --token-file F    one "TOKEN ROLE" per line, roles viewer or admin (tokens of 16+ characters)
  --oidc-issuer URL --oidc-client-id ID
                    OIDC login (authorization code + PKCE); a confidential client's secret is
                    read from PALISADE_OIDC_CLIENT_SECRET, the public URL the issuer redirects
                    to from PALISADE_PUBLIC_URL (default: the --listen address)
HTTPS with --tls-cert and --tls-key (PEM files). Stops on Ctrl-C (SIGINT) or SIGTERM.

Exit codes: 0 stopped cleanly, 2 usage or input error (bad flags, unreadable files, a port in use).

Examples:
  $ palisade serve --demo --no-auth
  $ palisade serve --db ~/.palisade/palisade.db --token-file tokens.txt
  $ palisade serve --db postgres://palisade@db.internal/palisade --listen 0.0.0.0:7443 \\
      --tls-cert tls.crt --tls-key tls.key --oidc-issuer https://login.example.com --oidc-client-id palisade
  $ curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:7070/api/v1/findings?severity=critical`;

/** Registers `palisade serve`; the implementation is imported when it runs. */
export function registerServeCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('serve the dashboard (web UI and JSON API) over the history store')
    .option(
      '--db <path-or-url>',
      'history store: a SQLite file or postgres://… URL (default $PALISADE_DB or ~/.palisade/palisade.db; with --demo a temporary store)',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7070')
    .option('--token-file <file>', 'bearer tokens, one "TOKEN viewer|admin" per line')
    .option('--oidc-issuer <url>', 'OIDC issuer for browser login (with --oidc-client-id)')
    .option('--oidc-client-id <id>', 'OIDC client id registered at the issuer')
    .option('--oidc-admin-group <group>', 'OIDC users in this group (groups claim) get the admin role')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--no-auth', 'serve without authentication (only with a loopback --listen)')
    .option('--demo', 'scan the demo cluster into the store on start and analyse it')
    .option(
      '--audit-log <file>',
      "the API server's audit log (JSON lines): the RBAC page lists rights no call used",
    )
    .option('--ui-dir <dir>', 'the built web UI to serve (default dist/ui of this installation)')
    .option('-q, --quiet', 'no status lines on stderr')
    .addHelpText('after', SERVE_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { runServe } = await import('./serve.js');
      const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
      const tokenFile = str(opts.tokenFile);
      const db = str(opts.db);
      const oidcIssuer = str(opts.oidcIssuer);
      const oidcClientId = str(opts.oidcClientId);
      const oidcAdminGroup = str(opts.oidcAdminGroup);
      const tlsCert = str(opts.tlsCert);
      const tlsKey = str(opts.tlsKey);
      const uiDir = str(opts.uiDir);
      setExit(
        await runServe(
          {
            listen: str(opts.listen) ?? '127.0.0.1:7070',
            // commander's --no-auth sets auth=false.
            noAuth: opts.auth === false,
            demo: opts.demo === true,
            quiet: opts.quiet === true,
            ...(db !== undefined ? { db } : {}),
            ...(tokenFile !== undefined ? { tokenFile } : {}),
            ...(oidcIssuer !== undefined ? { oidcIssuer } : {}),
            ...(oidcClientId !== undefined ? { oidcClientId } : {}),
            ...(oidcAdminGroup !== undefined ? { oidcAdminGroup } : {}),
            ...(tlsCert !== undefined ? { tlsCert } : {}),
            ...(tlsKey !== undefined ? { tlsKey } : {}),
            ...(uiDir !== undefined ? { uiDir } : {}),
            ...(typeof opts.auditLog === 'string' ? { auditLog: opts.auditLog } : {}),
          },
          io,
        ),
      );
    });
}
