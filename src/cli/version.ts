import { readFileSync } from 'node:fs';

/** The package version, read once from package.json next to the build. */
export function palisadeVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'palisade' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Try the next candidate: the layout differs between src/ (tsx) and dist/.
    }
  }
  return '0.0.0-unknown';
}
