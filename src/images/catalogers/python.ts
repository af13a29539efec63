/** A Python distribution's core metadata. */
export interface PythonRecord {
  name: string;
  version: string;
  license?: string;
}

/**
 * Parses core metadata (METADATA, PKG-INFO: RFC 822 style headers up to the first blank line).
 * Undefined without Name and Version.
 */
export function parsePythonMetadata(text: string): PythonRecord | undefined {
  const headers = new Map<string, string>();
  for (const line of text.split('\n')) {
    const l = line.replace(/\r$/, '');
    if (l === '') break;
    if (l.startsWith(' ') || l.startsWith('\t')) continue;
    const colon = l.indexOf(':');
    if (colon <= 0) continue;
    const key = l.slice(0, colon).toLowerCase();
    if (!headers.has(key)) headers.set(key, l.slice(colon + 1).trim());
  }
  const name = headers.get('name');
  const version = headers.get('version');
  if (name === undefined || version === undefined || name === '' || version === '') return undefined;
  const r: PythonRecord = { name, version };
  const license = headers.get('license-expression') ?? headers.get('license');
  if (license !== undefined && license !== '' && license !== 'UNKNOWN' && license.length < 200)
    r.license = license;
  return r;
}

/** PEP 503 name normalisation (what PyPI, OSV and purls use). */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Whether a path holds Python distribution metadata. */
export function isPythonMetadata(path: string): boolean {
  return (
    path.endsWith('.dist-info/METADATA') ||
    path.endsWith('.egg-info/PKG-INFO') ||
    (path.endsWith('.egg-info') && path.includes('-packages/'))
  );
}
