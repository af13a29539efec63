/**
 * Recognisers for credentials written as plain text: known token formats (AWS, GCP, GitHub,
 * Slack, Stripe, private keys, JWTs) and, for values under a secret-sounding key, strings
 * of high Shannon entropy. Pure functions, no I/O.
 */

/** A known credential format. */
interface Pattern {
  kind: string;
  re: RegExp;
}

const PATTERNS: readonly Pattern[] = [
  { kind: 'AWS access key id', re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/ },
  { kind: 'GCP API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { kind: 'GCP service-account key', re: /"type"\s*:\s*"service_account"[\s\S]*"private_key"/ },
  { kind: 'GitHub token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/ },
  { kind: 'Slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { kind: 'Slack webhook', re: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/ },
  { kind: 'Stripe secret key', re: /\b[sr]k_live_[A-Za-z0-9]{16,}/ },
  {
    kind: 'private key',
    re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----/,
  },
  { kind: 'JSON Web Token', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
];

/** Key names under which a high-entropy value is taken to be a credential. */
const SECRET_KEY =
  /(secret|passw(or)?d|passwd|pwd|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)/i;

/** Values that point at a secret rather than being one: URLs, absolute paths, placeholders. */
const NOT_A_VALUE = /^(?:[a-z][a-z0-9+.-]*:\/\/|\/)|\$\{|\$\(|\{\{/i;

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

/**
 * Names the kind of credential a value looks like, or undefined. Known formats match under
 * any key; a string of 20+ non-space characters with entropy ≥ 3.5 bits per character
 * matches only under a key whose name says secret, password, token, key or credential.
 */
export function detectSecret(key: string, value: string): string | undefined {
  for (const p of PATTERNS) if (p.re.test(value)) return p.kind;
  if (
    SECRET_KEY.test(key) &&
    value.length >= 20 &&
    !/\s/.test(value) &&
    !NOT_A_VALUE.test(value) &&
    shannonEntropy(value) >= 3.5
  ) {
    return 'high-entropy value';
  }
  return undefined;
}
