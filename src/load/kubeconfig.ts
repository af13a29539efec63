// Reading a kubeconfig without ever quoting it: a kubeconfig holds bearer tokens, passwords
// and private keys, and the YAML parser's own messages show an excerpt of the lines around an
// error. Problems are reported by file, line and field path only.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { InputError } from '../core/index.js';

/** Fields whose values are credentials (matched by key name anywhere in the file). */
const SECRET_KEYS = new Set([
  'token',
  'password',
  'username',
  'client-key-data',
  'client-key',
  'client-certificate-data',
  'id-token',
  'refresh-token',
  'access-token',
  'client-secret',
  'tokenFile',
  'value',
]);

/** The files a kubeconfig is read from: the given one, else $KUBECONFIG's list, else ~/.kube/config. */
export function kubeconfigFiles(
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  if (file !== undefined) return [file];
  const list = env.KUBECONFIG;
  if (list !== undefined && list !== '') return list.split(path.delimiter).filter((f) => f !== '');
  return [path.join(homedir(), '.kube', 'config')];
}

/**
 * The field path of a line of YAML text, from the indentation of the lines above it
 * (`users[].user.token`). Keys only, never values; empty when the line holds no key.
 */
export function yamlFieldAt(text: string, line: number): string {
  const lines = text.split('\n');
  const keys: string[] = [];
  // An ancestor key sits left of `keyLimit`; an enclosing list item's dash left of `dashLimit`.
  let keyLimit = Infinity;
  let dashLimit = Infinity;
  let inList = false;
  for (let i = Math.min(line, lines.length) - 1; i >= 0 && keyLimit > 0; i--) {
    const m = /^( *)(- +)?([\w.-]+) *:(?: |$)/.exec(lines[i] ?? '');
    if (!m) continue;
    const dash = (m[1] ?? '').length;
    const own = dash + (m[2] ?? '').length;
    const key = m[3] ?? '';
    if (m[2] !== undefined) {
      if (dash >= dashLimit) continue;
      if (own < keyLimit) keys.unshift(key);
      inList = true;
      keyLimit = dash + 1;
      dashLimit = dash;
    } else {
      if (own >= keyLimit) continue;
      keys.unshift(inList ? `${key}[]` : key);
      inList = false;
      keyLimit = own;
      dashLimit = own;
    }
  }
  return keys.join('.');
}

/** Every credential value in a parsed kubeconfig, to scrub from any message about it. */
function secretValues(doc: unknown, out: string[] = []): string[] {
  if (Array.isArray(doc)) for (const v of doc) secretValues(v, out);
  else if (doc !== null && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      if (typeof v === 'string' && SECRET_KEYS.has(k) && v.length >= 4) out.push(v);
      else secretValues(v, out);
    }
  }
  return out;
}

/** Replaces every credential value (and any 12-character run of it) in a message. */
export function redact(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of secrets) {
    out = out.split(s).join('<redacted>');
    // Excerpts cut values short: a long prefix of one is as bad as the whole.
    if (s.length > 24) out = out.split(s.slice(0, 24)).join('<redacted>');
  }
  return out;
}

/** What a kubeconfig check found: the credential values, for scrubbing later messages. */
export interface CheckedKubeconfig {
  secrets: string[];
}

/**
 * Parses each kubeconfig file before the Kubernetes client does, so that a YAML error is
 * reported as `FILE:LINE:COLUMN: not valid YAML: REASON (field PATH)`, never with the
 * excerpt the parser would print. Missing files are left to the client (it skips a missing
 * file of $KUBECONFIG's list, as kubectl does).
 */
export function checkKubeconfigFiles(files: readonly string[]): CheckedKubeconfig {
  const secrets: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    try {
      secretValues(jsyaml.load(text, { filename: file }), secrets);
    } catch (e) {
      if (e instanceof jsyaml.YAMLException) {
        const line = e.mark.line + 1;
        const field = yamlFieldAt(text, line);
        throw new InputError(
          `${file}:${line}:${e.mark.column + 1}: kubeconfig is not valid YAML: ${e.reason}${field !== '' ? ` (at field ${field})` : ''}; values are not shown, they may be credentials`,
        );
      }
      throw new InputError(
        `${file}: kubeconfig cannot be read (values are not shown, they may be credentials)`,
      );
    }
  }
  return { secrets };
}

/** The part of @kubernetes/client-node's KubeConfig that loading uses. */
interface KubeConfigLoader {
  loadFromFile(file: string): void;
  loadFromDefault(): void;
}

/**
 * Loads a kubeconfig (the given file, else the default chain) into a client-node KubeConfig
 * after checking its YAML here; any message of the client is scrubbed of credential values.
 * Returns those values so the caller can scrub its own later messages.
 */
export function loadKubeconfig(
  kc: KubeConfigLoader,
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): CheckedKubeconfig {
  const checked = checkKubeconfigFiles(kubeconfigFiles(file, env));
  try {
    if (file !== undefined) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (e) {
    throw new InputError(
      `cannot read kubeconfig ${file ?? '(default)'}: ${redact(e instanceof Error ? e.message : String(e), checked.secrets)}`,
    );
  }
  return checked;
}
