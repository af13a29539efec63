/** The distribution an image's /etc/os-release names. */
export interface Distro {
  /** `ID` (debian, ubuntu, alpine, rhel, …). */
  id: string;
  /** `VERSION_ID` (12, 22.04, 3.19.1). */
  versionId?: string;
  /** `VERSION_CODENAME` where given (bookworm). */
  codename?: string;
  prettyName?: string;
  /** `ID_LIKE` entries. */
  like: string[];
  /** Whether `VERSION` says LTS (Ubuntu's OSV ecosystems name it). */
  lts: boolean;
}

/** Parses os-release (shell-style KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): Distro | undefined {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    }
    values.set(line.slice(0, eq), value);
  }
  const id = values.get('ID')?.toLowerCase();
  if (id === undefined || id === '') return undefined;
  const distro: Distro = {
    id,
    like: (values.get('ID_LIKE') ?? '').split(/\s+/).filter((s) => s !== ''),
    lts: /\bLTS\b/.test(values.get('VERSION') ?? ''),
  };
  const versionId = values.get('VERSION_ID');
  if (versionId !== undefined && versionId !== '') distro.versionId = versionId;
  const codename = values.get('VERSION_CODENAME');
  if (codename !== undefined && codename !== '') distro.codename = codename;
  const pretty = values.get('PRETTY_NAME');
  if (pretty !== undefined && pretty !== '') distro.prettyName = pretty;
  return distro;
}

/**
 * The OSV ecosystem of a distribution's packages: `Debian:12`, `Ubuntu:22.04:LTS`,
 * `Alpine:v3.19`, `Red Hat`, … Undefined when the distribution has none OSV knows.
 */
export function distroEcosystem(d: Distro | undefined): string | undefined {
  if (d === undefined) return undefined;
  const v = d.versionId;
  switch (d.id) {
    case 'debian':
      return v === undefined ? 'Debian' : `Debian:${v.split('.')[0] ?? v}`;
    case 'ubuntu':
      return v === undefined ? 'Ubuntu' : `Ubuntu:${v}${d.lts ? ':LTS' : ''}`;
    case 'alpine': {
      if (v === undefined) return 'Alpine';
      const [major, minor] = v.split('.');
      return minor === undefined ? `Alpine:v${major}` : `Alpine:v${major}.${minor}`;
    }
    case 'rhel':
      return 'Red Hat';
    case 'rocky':
      return 'Rocky Linux';
    case 'almalinux':
      return 'AlmaLinux';
    case 'opensuse-leap':
      return v === undefined ? 'openSUSE' : `openSUSE:Leap ${v}`;
    case 'wolfi':
      return 'Wolfi';
    case 'chainguard':
      return 'Chainguard';
    default:
      return undefined;
  }
}

/** The purl `distro` qualifier (debian-12, alpine-3.19.1). */
export function distroQualifier(d: Distro | undefined): string | undefined {
  if (d === undefined) return undefined;
  return d.versionId === undefined ? d.id : `${d.id}-${d.versionId}`;
}
