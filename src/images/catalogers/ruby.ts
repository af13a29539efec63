/** A Ruby gem as its installed gemspec names it. */
export interface GemRecord {
  name: string;
  version: string;
  licenses: string[];
}

const STRING = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'/g;

function strings(text: string): string[] {
  return [...text.matchAll(STRING)].map((m) => m[1] ?? m[2] ?? '');
}

/**
 * Reads an installed gemspec (`specifications/*.gemspec`, the Ruby that RubyGems writes):
 * `s.name = "rack".freeze`, `s.version = "2.2.8"`, `s.licenses = ["MIT".freeze]`. Only these
 * assignments are read; nothing is evaluated.
 */
export function parseGemspec(text: string): GemRecord | undefined {
  let name: string | undefined;
  let version: string | undefined;
  const licenses: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^\w+\.(name|version|licenses?)\s*=(.*)$/.exec(line);
    if (m === null) continue;
    const values = strings((m[2] ?? '').trim());
    if (m[1] === 'name' && name === undefined) name = values[0];
    else if (m[1] === 'version' && version === undefined) version = values[0];
    else if (m[1] === 'license' || m[1] === 'licenses') licenses.push(...values);
  }
  if (name === undefined || version === undefined || name === '' || version === '') return undefined;
  return { name, version, licenses };
}

/** Whether a path is an installed gem's specification. */
export function isGemspec(path: string): boolean {
  return path.endsWith('.gemspec') && path.includes('/specifications/');
}
