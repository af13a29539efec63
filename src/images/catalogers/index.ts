import type { CatalogPackage } from '../../vulndb/package.js';
import { lookupFile, type FileView, type ImageFile } from '../layers.js';
import { parseApkInstalled } from './apk.js';
import { parseDpkgStatus } from './dpkg.js';
import { isInstalledPackageJson, parseInstalledPackageJson, parsePackageLock } from './npm.js';
import { distroEcosystem, distroQualifier, parseOsRelease, type Distro } from './os-release.js';
import { purl } from './purl.js';
import { isPythonMetadata, normalizePythonName, parsePythonMetadata } from './python.js';
import { isGemspec, parseGemspec } from './ruby.js';
import { isJavaArchive, javaPackages } from './java.js';
import { parseRpmHeader, parseSourceRpm, rpmVersion } from './rpm.js';
import { createRequire } from 'node:module';

export { parseApkInstalled } from './apk.js';
export { parseDpkgStatus } from './dpkg.js';
export { parsePackageLock, parseInstalledPackageJson } from './npm.js';
export { parseOsRelease, distroEcosystem, type Distro } from './os-release.js';
export { parsePythonMetadata } from './python.js';
export { parseGemspec } from './ruby.js';

/** What every cataloger gets besides the files: the distribution, when known. */
export interface CatalogContext {
  distro?: Distro;
}

/** A cataloger: which files it wants kept, and how it turns them into packages. */
export interface Cataloger {
  name: string;
  /** Called for every regular file of every layer: keep it cheap. */
  wants(path: string): boolean;
  catalog(view: FileView, context: CatalogContext): CatalogPackage[];
}

function text(file: ImageFile): string {
  return file.data?.toString('utf8') ?? '';
}

function filesWhere(view: FileView, pred: (path: string) => boolean): ImageFile[] {
  const out: ImageFile[] = [];
  for (const f of view.files.values())
    if (f.data !== undefined && f.kind !== 'symlink' && pred(f.path)) out.push(f);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function location(file: ImageFile): CatalogPackage['location'] {
  return { layerDigest: file.layerDigest, path: `/${file.path}` };
}

const OS_RELEASE = ['etc/os-release', 'usr/lib/os-release'];

/** Reads the distribution from /etc/os-release (following its symlink) or /usr/lib/os-release. */
export function readDistro(view: FileView): Distro | undefined {
  for (const p of OS_RELEASE) {
    const f = lookupFile(view, p);
    if (f?.data !== undefined) {
      const d = parseOsRelease(f.data.toString('utf8'));
      if (d !== undefined) return d;
    }
  }
  return undefined;
}

const dpkg: Cataloger = {
  name: 'dpkg',
  wants: (p) =>
    p === 'var/lib/dpkg/status' || (p.startsWith('var/lib/dpkg/status.d/') && !p.endsWith('.md5sums')),
  catalog(view, { distro }) {
    const out: CatalogPackage[] = [];
    const namespace = distro?.id === 'ubuntu' ? 'ubuntu' : 'debian';
    const ecosystem = distroEcosystem(distro) ?? 'Debian';
    for (const f of filesWhere(view, (p) => this.wants(p))) {
      for (const r of parseDpkgStatus(text(f))) {
        const pkg: CatalogPackage = {
          name: r.package,
          version: r.version,
          purl: purl('deb', namespace, r.package, r.version, {
            arch: r.architecture,
            distro: distroQualifier(distro),
          }),
          ecosystem,
          location: location(f),
        };
        if (r.source !== undefined) pkg.source = r.source;
        out.push(pkg);
      }
    }
    return out;
  },
};

const apk: Cataloger = {
  name: 'apk',
  wants: (p) => p === 'lib/apk/db/installed',
  catalog(view, { distro }) {
    const f = view.files.get('lib/apk/db/installed');
    if (f?.data === undefined) return [];
    const ecosystem = distroEcosystem(distro) ?? 'Alpine';
    const namespace = distro?.id === 'wolfi' || distro?.id === 'chainguard' ? distro.id : 'alpine';
    return parseApkInstalled(text(f)).map((r) => {
      const pkg: CatalogPackage = {
        name: r.package,
        version: r.version,
        purl: purl('apk', namespace, r.package, r.version, {
          arch: r.architecture,
          distro: distroQualifier(distro),
        }),
        ecosystem,
        location: location(f),
      };
      if (r.origin !== undefined) pkg.source = { name: r.origin, version: r.version };
      if (r.license !== undefined) pkg.licenses = [r.license];
      return pkg;
    });
  },
};

function npmPurl(name: string, version: string): string {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  return slash > 0
    ? purl('npm', name.slice(0, slash), name.slice(slash + 1), version)
    : purl('npm', undefined, name, version);
}

const isLockfile = (p: string): boolean =>
  (p === 'package-lock.json' || p.endsWith('/package-lock.json')) && !p.includes('node_modules/');

const npm: Cataloger = {
  name: 'npm',
  wants: (p) => isLockfile(p) || isInstalledPackageJson(p),
  catalog(view) {
    const out: CatalogPackage[] = [];
    for (const f of filesWhere(view, (p) => this.wants(p))) {
      const records = isLockfile(f.path)
        ? (parsePackageLock(text(f)) ?? [])
        : [parseInstalledPackageJson(text(f), f.path)].filter((r) => r !== undefined);
      for (const r of records) {
        const pkg: CatalogPackage = {
          name: r.name,
          version: r.version,
          purl: npmPurl(r.name, r.version),
          ecosystem: 'npm',
          location: location(f),
        };
        if (r.license !== undefined) pkg.licenses = [r.license];
        out.push(pkg);
      }
    }
    return out;
  },
};

const python: Cataloger = {
  name: 'python',
  wants: isPythonMetadata,
  catalog(view) {
    const out: CatalogPackage[] = [];
    for (const f of filesWhere(view, isPythonMetadata)) {
      const r = parsePythonMetadata(text(f));
      if (r === undefined) continue;
      const pkg: CatalogPackage = {
        name: r.name,
        version: r.version,
        purl: purl('pypi', undefined, normalizePythonName(r.name), r.version),
        ecosystem: 'PyPI',
        location: location(f),
      };
      if (r.license !== undefined) pkg.licenses = [r.license];
      out.push(pkg);
    }
    return out;
  },
};

const ruby: Cataloger = {
  name: 'ruby',
  wants: isGemspec,
  catalog(view) {
    const out: CatalogPackage[] = [];
    for (const f of filesWhere(view, isGemspec)) {
      const r = parseGemspec(text(f));
      if (r === undefined) continue;
      const pkg: CatalogPackage = {
        name: r.name,
        version: r.version,
        purl: purl('gem', undefined, r.name, r.version),
        ecosystem: 'RubyGems',
        location: location(f),
      };
      if (r.licenses.length > 0) pkg.licenses = r.licenses;
      out.push(pkg);
    }
    return out;
  },
};

const RPMDB_SQLITE = ['var/lib/rpm/rpmdb.sqlite', 'usr/lib/sysimage/rpm/rpmdb.sqlite'];

/** Opens an SQLite database image held in memory (better-sqlite3, loaded on first use). */
type SqliteRows = (data: Buffer, sql: string) => unknown[];
let sqliteRows: SqliteRows | undefined;
function loadSqlite(): SqliteRows {
  if (sqliteRows !== undefined) return sqliteRows;
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as new (
    data: Buffer,
    options?: { readonly?: boolean },
  ) => {
    prepare(sql: string): { all(): unknown[] };
    close(): void;
  };
  sqliteRows = (data, sql) => {
    const db = new Database(data);
    try {
      return db.prepare(sql).all();
    } finally {
      db.close();
    }
  };
  return sqliteRows;
}

const rpm: Cataloger = {
  name: 'rpm',
  wants: (p) => RPMDB_SQLITE.includes(p),
  catalog(view, { distro }) {
    const out: CatalogPackage[] = [];
    const namespace = distro?.id === 'rhel' ? 'redhat' : (distro?.id ?? 'redhat');
    const ecosystem = distroEcosystem(distro) ?? 'Red Hat';
    for (const f of filesWhere(view, (p) => RPMDB_SQLITE.includes(p))) {
      let rows: unknown[];
      try {
        rows = loadSqlite()(f.data ?? Buffer.alloc(0), 'SELECT blob FROM Packages');
      } catch {
        // Not an SQLite rpm database (or a WAL-only state): nothing readable here.
        continue;
      }
      for (const row of rows) {
        const blob = (row as { blob?: unknown }).blob;
        if (!Buffer.isBuffer(blob)) continue;
        const r = parseRpmHeader(blob);
        if (r === undefined || r.name === 'gpg-pubkey') continue;
        const version = rpmVersion(r);
        const pkg: CatalogPackage = {
          name: r.name,
          version,
          purl: purl('rpm', namespace, r.name, `${r.version}-${r.release}`, {
            arch: r.arch,
            epoch: r.epoch !== undefined && r.epoch !== 0 ? String(r.epoch) : undefined,
            distro: distroQualifier(distro),
          }),
          ecosystem,
          location: location(f),
        };
        const source = r.sourceRpm !== undefined ? parseSourceRpm(r.sourceRpm) : undefined;
        if (source !== undefined) pkg.source = source;
        if (r.license !== undefined) pkg.licenses = [r.license];
        out.push(pkg);
      }
    }
    return out;
  },
};

/** The catalogers every scan runs, in report order. */
export const CATALOGERS: readonly Cataloger[] = [dpkg, apk, rpm, npm, python, ruby];

/** Whether any cataloger (or os-release, or the Java archive reader) wants a file's content. */
export function wantedByCatalogers(path: string, catalogers: readonly Cataloger[] = CATALOGERS): boolean {
  if (OS_RELEASE.includes(path) || isJavaArchive(path)) return true;
  for (const c of catalogers) if (c.wants(path)) return true;
  return false;
}

/** Runs the catalogers over a file view; exact duplicates (same purl at the same path) are dropped. */
export function catalogPackages(
  view: FileView,
  catalogers: readonly Cataloger[] = CATALOGERS,
): { distro?: Distro; packages: CatalogPackage[] } {
  const distro = readDistro(view);
  const context: CatalogContext = distro === undefined ? {} : { distro };
  const seen = new Set<string>();
  const packages: CatalogPackage[] = [];
  for (const c of catalogers) {
    for (const p of c.catalog(view, context)) {
      const key = `${p.purl}\u0000${p.location.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      packages.push(p);
    }
  }
  return distro === undefined ? { packages } : { distro, packages };
}

/** Maven packages of the Java archives in the view (asynchronous: archives are inflated). */
export function catalogJavaArchives(view: FileView): Promise<CatalogPackage[]> {
  return javaPackages(
    filesWhere(view, isJavaArchive).map((f) => ({
      path: f.path,
      layerDigest: f.layerDigest,
      data: f.data ?? Buffer.alloc(0),
    })),
  );
}
