/**
 * Recognisers for credentials written as plain text. Pure functions, no I/O. Three ways a
 * value is taken for a credential, in this order:
 *
 * 1. A known token format, under any key: AWS access key ids, GitHub, GitLab, Slack, Stripe,
 *    SendGrid, npm and Google tokens, PEM private keys, JSON Web Tokens, GCP service-account
 *    JSON.
 * 2. A URL that carries a password (`scheme://user:password@host`), under any key.
 * 3. A key whose name says credential (password, passwd, pwd, secret, token, api key,
 *    credential, private key, access key, passphrase, …) holding a non-empty literal of any
 *    length, unless the name only describes one (`PASSWORD_FILE`, `TOKEN_URL`, `SECRET_NAME`,
 *    `TOKEN_TTL`, …) or the value is not a literal credential:
 *    - a reference: `${VAR}`, `$(VAR)`, `$VAR`, `{{ template }}`, `%(name)s`;
 *    - a placeholder: `<your-token>`, `changeme`, `replace-me`, `redacted`, `xxxx`, `****`, one
 *      character repeated, `none`, `null`, `todo`;
 *    - a path, a URL without credentials, a boolean, or text with spaces (a sentence).
 *    `changeme` is a decision: it is the placeholder templates ship, not a leaked secret, and a
 *    default password left in place is a different problem from a credential in a manifest.
 *
 * Multi-line values (properties, INI, YAML or JSON files in a ConfigMap) are also read line by
 * line as `key = value` / `key: value` pairs and judged by rule 3.
 *
 * Every regular expression here is linear (eslint-plugin-regexp checks it): inputs are
 * manifests and admission requests that anyone may write.
 */

/** A known credential format. */
interface Pattern {
  kind: string;
  re: RegExp;
}

const PATTERNS: readonly Pattern[] = [
  { kind: 'AWS access key id', re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/ },
  { kind: 'GCP API key', re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/ },
  { kind: 'GCP service-account key', re: /"type"\s*:\s*"service_account"/ },
  { kind: 'Google OAuth token', re: /\bya29\.[0-9A-Za-z_-]{20,}/ },
  { kind: 'GitHub token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/ },
  { kind: 'GitLab token', re: /\bglpat-[A-Za-z0-9_-]{20,}/ },
  { kind: 'Slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { kind: 'Slack webhook', re: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/ },
  { kind: 'Stripe secret key', re: /\b[rs]k_live_[A-Za-z0-9]{16,}/ },
  { kind: 'SendGrid API key', re: /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/ },
  { kind: 'npm token', re: /\bnpm_[A-Za-z0-9]{36}\b/ },
  {
    kind: 'private key',
    re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/,
  },
  { kind: 'JSON Web Token', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
];

/**
 * `scheme://user:password@`: the user part holds no `:`, `@`, `/` or space, the password no
 * `@`, `/` or space, so each quantifier ends at a character the next part starts with.
 */
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:([^\s@/]+)@[^\s@/]/i;

/** Words of a key name that say it holds a credential. */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'tokens',
  'apikey',
  'credential',
  'credentials',
  'creds',
  'privatekey',
  'accesskey',
  'secretkey',
  'auth',
  'bearer',
  'sessionkey',
  'signingkey',
  'encryptionkey',
  'masterkey',
  'connectionstring',
]);

/** Pairs of adjacent words that together say credential (`API_KEY`, `PRIVATE_KEY`, …). */
const SECRET_PAIRS = new Set([
  'api key',
  'private key',
  'access key',
  'secret key',
  'client secret',
  'session key',
  'signing key',
  'encryption key',
  'master key',
  'account key',
  'connection string',
  'shared key',
  'license key',
]);

/** Endings that make a glued word a credential name (`PGPASSWORD`, `rootpassword`, `apitoken`). */
const SECRET_ENDINGS = ['password', 'passwd', 'secret', 'token'];

/** Last words of a key name that describe a credential rather than hold one. */
const DESCRIPTIVE_SUFFIXES = new Set([
  'file',
  'files',
  'path',
  'dir',
  'directory',
  'url',
  'uri',
  'endpoint',
  'host',
  'name',
  'names',
  'ref',
  'id',
  'header',
  'type',
  'length',
  'len',
  'ttl',
  'timeout',
  'expiry',
  'expiration',
  'expires',
  'lifetime',
  'enabled',
  'enable',
  'disabled',
  'mode',
  'policy',
  'required',
  'rotation',
  'version',
  'format',
  'location',
  'field',
  'prefix',
  'suffix',
  'algorithm',
  'method',
  'provider',
  'scope',
  'scopes',
  'audience',
  'issuer',
  'count',
  'size',
  'max',
  'min',
  'interval',
  'duration',
  'seconds',
  'port',
  'user',
  'username',
  'env',
  'var',
  'template',
  'kind',
  'store',
  'mount',
  'hint',
  'help',
  'description',
  'label',
  'regex',
  'pattern',
  'strategy',
  'backend',
  'source',
  'manager',
  'annotation',
  'days',
  'hours',
  'minutes',
  'ms',
  'retries',
  'attempts',
  'limit',
  'level',
  'class',
  'key_id',
  'keyid',
  'arn',
  'sha',
  'hash',
  'checksum',
]);

/** Values that stand in for a credential. */
const PLACEHOLDERS = new Set([
  'changeme',
  'change-me',
  'change_me',
  'replaceme',
  'replace-me',
  'replace_me',
  'redacted',
  'placeholder',
  'secret',
  'password',
  'token',
  'none',
  'null',
  'nil',
  'undefined',
  'empty',
  'todo',
  'tbd',
  'fixme',
  'dummy',
  'example',
  'true',
  'false',
  'yes',
  'no',
  'on',
  'off',
]);

/** References and template expressions: `${X}`, `$(X)`, `$X`, `{{ x }}`, `%(x)s`, `<x>`. */
const REFERENCE = /^(?:\$\{[^}]*\}|\$\([^)]*\)|\$[A-Z_][A-Z0-9_]*|\{\{[^}]*\}\}|%\([^)]*\)s|<[^>]*>)$/i;

/** A path or a URL (credentials in URLs are found before this is asked). */
const PATH_OR_URL = /^(?:\/|\.{1,2}\/|~\/|[a-z][a-z0-9+.-]*:\/\/|file:)/i;

/** Shannon entropy of a string, in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Splits a key name into lower-case words: `dbPassword` → db, password; `API_KEY` → api, key. */
export function keyWords(key: string): string[] {
  const out: string[] = [];
  let word = '';
  let prevLower = false;
  for (const ch of key) {
    const isUpper = ch >= 'A' && ch <= 'Z';
    const isAlnum = isUpper || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    if (!isAlnum || (isUpper && prevLower)) {
      if (word !== '') out.push(word.toLowerCase());
      word = '';
    }
    if (isAlnum) word += ch;
    prevLower = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
  }
  if (word !== '') out.push(word.toLowerCase());
  return out;
}

/** True when a key's name says it holds a credential (and does not merely describe one). */
export function isSecretKeyName(key: string): boolean {
  const words = keyWords(key);
  const last = words[words.length - 1];
  if (last === undefined || DESCRIPTIVE_SUFFIXES.has(last)) return false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (SECRET_WORDS.has(w) || SECRET_ENDINGS.some((e) => w.length > e.length && w.endsWith(e))) {
      // `auth` and `pass` alone are too common (`AUTH_MODE`, `PASS_THROUGH`): only as the last word.
      if ((w === 'auth' || w === 'pass') && i !== words.length - 1) continue;
      return true;
    }
    if (i + 1 < words.length && SECRET_PAIRS.has(`${w} ${words[i + 1] ?? ''}`)) return true;
  }
  return false;
}

/** True when a value under a credential-sounding key is not a literal credential. */
function notALiteral(raw: string): boolean {
  const value = raw.trim();
  if (value === '') return true;
  if (REFERENCE.test(value) || PATH_OR_URL.test(value)) return true;
  if (/\s/.test(value)) return true;
  const lower = value.toLowerCase();
  if (PLACEHOLDERS.has(lower)) return true;
  if (/^(?:x+|\*+|\.+|-+|#+|_+)$/i.test(value)) return true;
  if (value.length > 1 && value.split(value.charAt(0)).every((part) => part === '')) return true;
  return false;
}

/** Most lines a multi-line value is read for embedded `key = value` pairs. */
const MAX_EMBEDDED_LINES = 2000;

/** `key = value` or `key: value` on one line, keys and values optionally quoted. */
const EMBEDDED = /^[ \t]*"?([\w.-]+)"?[ \t]*[=:][ \t]*(\S.*)$/;

/** A credential in a `key = value` line of a file kept in a value, or undefined. */
function embeddedSecret(value: string): string | undefined {
  if (!value.includes('\n')) return undefined;
  const lines = value.split('\n', MAX_EMBEDDED_LINES);
  for (const line of lines) {
    const m = EMBEDDED.exec(line);
    if (!m) continue;
    const key = m[1] ?? '';
    const v = (m[2] ?? '').replace(/[,;]$/, '').trim();
    const unquoted = /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
    if (isSecretKeyName(key) && !notALiteral(unquoted)) return `credential under ${key}`;
  }
  return undefined;
}

/**
 * Names the kind of credential a value under `key` looks like, or undefined. Never returns
 * or includes the value itself.
 */
export function detectSecret(key: string, value: string): string | undefined {
  for (const p of PATTERNS) if (p.re.test(value)) return p.kind;
  const url = URL_CREDENTIALS.exec(value);
  if (url && !notALiteral(url[1] ?? '')) return 'password in a URL';
  if (isSecretKeyName(key) && !value.includes('\n') && !notALiteral(value))
    return 'literal under a credential name';
  return embeddedSecret(value);
}
