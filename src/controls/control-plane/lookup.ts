/**
 * Where a test item's value is looked up: a command line, a config document, an environment.
 * Two command-line readers exist. `textFlags` reproduces kube-bench's matching on raw text
 * (substring search, then `(flag)(=|: *)*(\S*)`), used for audit lines Palisade writes itself
 * (`permissions=600`, `root:root`) and for kube-bench's own fixtures. `argvFlags` reads a
 * parsed argument list exactly: `--name=value`, a bare `--name` meaning `true`, the last
 * occurrence winning as in the components' own flag parsing, so `--etcd-cafile` never matches
 * inside `--etcd-cafile-x` and one component's flags never leak into another's check.
 */
import { err, ok, type Result } from '../../core/index.js';
import { fromJson, GoFloat, type ConfigMap, type ConfigValue } from './config-value.js';
import { executeJsonPath, parseJsonPath } from './jsonpath.js';
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

/** What a lookup found; `error` marks an audit that could not be read (kube-bench fails the item). */
export interface Lookup {
  found: boolean;
  value: string;
  error?: string;
  /** Index of the matching argument in the argument list, when known. */
  argIndex?: number;
}

/** Finds a flag on one command line (one audit line). */
export interface FlagLookup {
  /** `compareOp` is the item's operator; kube-bench reads `--flag value` only when there is one. */
  find(flag: string, compareOp: string): Lookup;
}

/** Finds a JSONPath in a config document. */
export interface ConfigLookup {
  find(path: string): Lookup;
}

/** Finds an environment variable. */
export interface EnvLookup {
  find(name: string): Lookup;
}

// Go's \s (RE2, ASCII only).
const WS = '\\t\\n\\f\\r ';
const NOT_WS = `[^${WS}]`;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** kube-bench's flag matching on a raw audit line. */
export function textFlags(line: string): FlagLookup {
  return {
    find(flag, compareOp) {
      if (line === '' || flag === '' || !line.includes(flag)) return { found: false, value: '' };
      // kube-bench inserts the flag into the pattern unescaped; benchmark flags hold no
      // metacharacters except `.`, so escaping changes nothing for them and keeps this safe.
      const m = new RegExp(`(${escapeRegExp(flag)})(=|: *)*(${NOT_WS}*) *`).exec(line);
      if (!m) return { found: true, value: '', error: `invalid flag in testItem definition: ${line}` };
      const v = m[3] ?? '';
      if (v !== '') return { found: true, value: v };
      if (compareOp !== '') {
        const spaced = new RegExp(`${escapeRegExp(flag)}[${WS}]+([^${WS}-]${NOT_WS}*)`).exec(line);
        if (spaced?.[1] !== undefined) return { found: true, value: spaced[1] };
      }
      return { found: true, value: flag.startsWith('--') ? 'true' : (m[1] ?? '') };
    },
  };
}

/** Exact flag lookup on a parsed argument list (without the binary). */
export function argvFlags(args: readonly string[]): FlagLookup {
  const joined = args.join(' ');
  const text = textFlags(joined);
  return {
    find(flag, compareOp) {
      // Words that are not flags (e.g. a feature gate name) keep kube-bench's text matching.
      if (!flag.startsWith('-')) return text.find(flag, compareOp);
      for (let i = args.length - 1; i >= 0; i--) {
        const a = args[i] ?? '';
        if (a === flag) {
          const next = args[i + 1];
          if (compareOp !== '' && next !== undefined && next !== '' && !next.startsWith('-'))
            return { found: true, value: next, argIndex: i };
          return { found: true, value: 'true', argIndex: i };
        }
        if (a.startsWith(`${flag}=`)) return { found: true, value: a.slice(flag.length + 1), argIndex: i };
      }
      return { found: false, value: '' };
    },
  };
}

/** kube-bench's environment lookup on `NAME=value` lines. */
export function textEnv(text: string): EnvLookup {
  return {
    find(name) {
      if (text === '' || name === '') return { found: false, value: '' };
      const m = new RegExp(`${escapeRegExp(name)}=.*(?:$|\\n)`).exec(text);
      const out = (m?.[0] ?? '').replace('\n', '').replace(`${name}=`, '');
      return out.length > 0 ? { found: true, value: out } : { found: false, value: '' };
    },
  };
}

/** Environment lookup on a parsed list of variables (the last definition wins). */
export function envVars(vars: readonly { name: string; value: string }[]): EnvLookup {
  return {
    find(name) {
      for (let i = vars.length - 1; i >= 0; i--) {
        const v = vars[i];
        if (v?.name === name)
          return v.value === '' ? { found: false, value: '' } : { found: true, value: v.value };
      }
      return { found: false, value: '' };
    },
  };
}

/** JSONPath lookup on a decoded document; present means the printed value is not empty. */
export function documentConfig(doc: ConfigValue): ConfigLookup {
  return {
    find(path) {
      const parsed = parseJsonPath(path);
      if (!parsed.ok)
        return {
          found: false,
          value: '',
          error: `unable to parse path expression "${path}": ${parsed.error}`,
        };
      const value = executeJsonPath(parsed.value, doc);
      return { found: value !== '', value };
    },
  };
}

/** A config lookup that fails every item, for a config file that could not be decoded. */
export function brokenConfig(message: string): ConfigLookup {
  return { find: () => ({ found: false, value: '', error: message }) };
}

/**
 * Most alias uses a config document may make, counted as the yaml library counts them (an
 * alias of a node that itself holds aliases costs more): config files use few if any, and a
 * document whose aliases nest to expand exponentially ("billion laughs") is refused.
 */
export const MAX_CONFIG_ALIASES = 100;

/**
 * Decodes a config text as kube-bench does: JSON first, else YAML 1.1 (as gopkg.in/yaml.v2),
 * with integers and floats told apart. An empty text is an empty document; a document whose
 * aliases would expand past MAX_CONFIG_ALIASES is an error, found before anything is expanded.
 * An error is one line that never quotes the text.
 */
export function decodeConfig(text: string): Result<ConfigValue, string> {
  try {
    return ok(fromJson(JSON.parse(text)));
  } catch {
    // not JSON: try YAML
  }
  try {
    const doc = parseDocument(text, { version: '1.1', uniqueKeys: false });
    // The parser's first line only: the code frame after it quotes the text (maybe a secret).
    if (doc.errors.length > 0) return err(firstLine(doc.errors[0]?.message ?? 'invalid YAML'));
    // The library's conversion counts alias uses and stops early; only then are they expanded.
    try {
      doc.toJS({ maxAliasCount: MAX_CONFIG_ALIASES });
    } catch (e) {
      if (e instanceof ReferenceError && e.message.startsWith('Excessive alias count'))
        return err(`aliases expand past ${MAX_CONFIG_ALIASES} uses (an alias bomb?); not decoded`);
      throw e;
    }
    return ok(fromYamlNode(doc.contents, doc));
  } catch (e) {
    return err(firstLine(e instanceof Error ? e.message : String(e)));
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

const YAML_INT = /^[-+]?(0|[1-9][0-9_]*|0[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+)$/;

function fromYamlNode(n: unknown, doc: Document): ConfigValue {
  if (n === null || n === undefined) return null;
  if (isAlias(n)) return fromYamlNode(n.resolve(doc), doc);
  if (isMap(n)) {
    const out: ConfigMap = {};
    for (const pair of n.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      out[key] = fromYamlNode(pair.value, doc);
    }
    return out;
  }
  if (isSeq(n)) return n.items.map((item) => fromYamlNode(item, doc));
  if (isScalar(n)) {
    const v = n.value;
    if (typeof v === 'number') {
      const src = typeof n.source === 'string' ? n.source : String(v);
      return YAML_INT.test(src) ? v : new GoFloat(v);
    }
    if (typeof v === 'bigint') return Number(v);
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    return v instanceof Date ? v.toISOString() : null;
  }
  return null;
}

/** kube-bench's config lookup on a raw text: decoded again for every item, as it does. */
export function textConfig(text: string): ConfigLookup {
  const decoded = decodeConfig(text);
  if (!decoded.ok) return brokenConfig(`failed to load YAML or JSON from input "${text}": ${decoded.error}`);
  return documentConfig(decoded.value);
}
