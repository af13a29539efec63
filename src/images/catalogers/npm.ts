/** A package an npm lockfile or an installed package.json names. */
export interface NpmRecord {
  name: string;
  version: string;
  license?: string;
  /** Lockfile key or package.json path the record came from. */
  from: string;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function licenseOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  const r = record(v);
  return typeof r?.type === 'string' ? r.type : undefined;
}

/**
 * Parses package-lock.json (lockfileVersion 1, 2 and 3). Version 2 and 3 list installed
 * packages under `packages` keyed by their node_modules path; version 1 nests `dependencies`.
 * Workspace links and the root project are left out. Undefined when the text is not a lockfile.
 */
export function parsePackageLock(text: string): NpmRecord[] | undefined {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = record(JSON.parse(text));
  } catch {
    return undefined;
  }
  if (doc === undefined) return undefined;
  const out: NpmRecord[] = [];
  const packages = record(doc.packages);
  if (packages !== undefined) {
    for (const [key, value] of Object.entries(packages)) {
      const p = record(value);
      const at = key.lastIndexOf('node_modules/');
      if (key === '' || p === undefined || at === -1 || p.link === true) continue;
      const name = typeof p.name === 'string' ? p.name : key.slice(at + 'node_modules/'.length);
      if (typeof p.version !== 'string' || name === '') continue;
      const r: NpmRecord = { name, version: p.version, from: key };
      const license = licenseOf(p.license);
      if (license !== undefined) r.license = license;
      out.push(r);
    }
    return out;
  }
  const walk = (deps: Record<string, unknown> | undefined, trail: string, depth: number): void => {
    if (deps === undefined || depth > 64) return;
    for (const [name, value] of Object.entries(deps)) {
      const d = record(value);
      if (d === undefined) continue;
      const key = `${trail}node_modules/${name}`;
      if (typeof d.version === 'string' && !d.version.startsWith('file:'))
        out.push({ name, version: d.version, from: key });
      walk(record(d.dependencies), `${key}/`, depth + 1);
    }
  };
  const deps = record(doc.dependencies);
  if (deps === undefined) return out;
  walk(deps, '', 0);
  return out;
}

/** Parses an installed package's package.json; undefined without a name and a version. */
export function parseInstalledPackageJson(text: string, path: string): NpmRecord | undefined {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = record(JSON.parse(text));
  } catch {
    return undefined;
  }
  if (
    typeof doc?.name !== 'string' ||
    typeof doc.version !== 'string' ||
    doc.name === '' ||
    doc.version === ''
  )
    return undefined;
  const r: NpmRecord = { name: doc.name, version: doc.version, from: path };
  const license = licenseOf(doc.license);
  if (license !== undefined) r.license = license;
  return r;
}

/** Whether a path is the package.json of a package directly inside a node_modules folder. */
export function isInstalledPackageJson(path: string): boolean {
  if (!path.endsWith('/package.json')) return false;
  const parts = path.split('/');
  const n = parts.length;
  if (n >= 3 && parts[n - 3] === 'node_modules' && !(parts[n - 2] ?? '').startsWith('@')) return true;
  return n >= 4 && parts[n - 4] === 'node_modules' && (parts[n - 3] ?? '').startsWith('@');
}
