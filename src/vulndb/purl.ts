/**
 * Just enough of package URLs (https://github.com/package-url/purl-spec) to decide whether a
 * VEX product names a package: type, namespace, name and version; qualifiers and subpath are
 * read but not compared.
 */

/** The parts of a package URL that identify a package. */
export interface PurlParts {
  type: string;
  namespace: string;
  name: string;
  version: string | undefined;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parses a package URL; undefined when the text is not one. */
export function parsePurl(text: string): PurlParts | undefined {
  if (!text.startsWith('pkg:') || text.length > 2000) return undefined;
  let rest = text.slice(4);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  rest = rest.replace(/^\/+/, '');
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const type = rest.slice(0, slash).toLowerCase();
  let path = rest.slice(slash + 1);
  let version: string | undefined;
  const at = path.lastIndexOf('@');
  if (at >= 0) {
    version = decode(path.slice(at + 1));
    path = path.slice(0, at);
  }
  const segments = path.split('/').filter((s) => s !== '');
  const name = segments.pop();
  if (name === undefined) return undefined;
  return { type, namespace: segments.map(decode).join('/'), name: decode(name), version };
}

const CASE_INSENSITIVE = new Set(['deb', 'apk', 'pypi', 'npm', 'github', 'bitbucket']);

function norm(type: string, s: string): string {
  return CASE_INSENSITIVE.has(type) ? s.toLowerCase() : s;
}

/** Whether a VEX product purl covers a package purl (a product without version covers every version). */
export function purlCovers(product: string, pkg: string): boolean {
  const a = parsePurl(product);
  const b = parsePurl(pkg);
  if (a === undefined || b === undefined) return product === pkg;
  if (a.type !== b.type) return false;
  if (norm(a.type, a.namespace) !== norm(b.type, b.namespace)) return false;
  if (norm(a.type, a.name) !== norm(b.type, b.name)) return false;
  return a.version === undefined || a.version === b.version;
}
