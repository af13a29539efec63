/** One record of a dpkg database (status file or a status.d file). */
export interface DpkgRecord {
  package: string;
  version: string;
  architecture?: string;
  source?: { name: string; version: string };
  /** The third word of Status (installed, config-files, …); undefined in status.d files. */
  state?: string;
}

/** Splits a Debian control-style file into paragraphs of field maps (continuation lines dropped). */
export function parseControlParagraphs(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let current = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (current.size > 0) out.push(current);
      current = new Map();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  if (current.size > 0) out.push(current);
  return out;
}

/**
 * Parses a dpkg status file. Records whose state says nothing is unpacked (not-installed,
 * config-files) are left out: their files are not in the image.
 */
export function parseDpkgStatus(text: string): DpkgRecord[] {
  const out: DpkgRecord[] = [];
  for (const p of parseControlParagraphs(text)) {
    const name = p.get('package');
    const version = p.get('version');
    if (name === undefined || version === undefined || name === '' || version === '') continue;
    const status = p.get('status');
    const state = status?.split(/\s+/)[2];
    if (state === 'not-installed' || state === 'config-files') continue;
    const record: DpkgRecord = { package: name, version };
    const arch = p.get('architecture');
    if (arch !== undefined) record.architecture = arch;
    if (state !== undefined) record.state = state;
    const source = p.get('source');
    if (source !== undefined && source !== '') {
      const m = /^(\S+)(?:\s+\(([^)]+)\))?$/.exec(source);
      if (m?.[1] !== undefined) record.source = { name: m[1], version: m[2] ?? version };
    } else {
      record.source = { name, version };
    }
    out.push(record);
  }
  return out;
}
