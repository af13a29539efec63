/** One record of Alpine's installed database. */
export interface ApkRecord {
  package: string;
  version: string;
  architecture?: string;
  /** The origin (source) package. */
  origin?: string;
  license?: string;
}

/** Parses `lib/apk/db/installed` (single-letter keys, records separated by blank lines). */
export function parseApkInstalled(text: string): ApkRecord[] {
  const out: ApkRecord[] = [];
  let fields = new Map<string, string>();
  const flush = (): void => {
    const name = fields.get('P');
    const version = fields.get('V');
    if (name !== undefined && version !== undefined && name !== '' && version !== '') {
      const r: ApkRecord = { package: name, version };
      const a = fields.get('A');
      if (a !== undefined) r.architecture = a;
      const o = fields.get('o');
      if (o !== undefined) r.origin = o;
      const l = fields.get('L');
      if (l !== undefined && l !== '') r.license = l;
      out.push(r);
    }
    fields = new Map();
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (line.length >= 2 && line[1] === ':') {
      const key = line[0] ?? '';
      // Only the first value of a key counts (F:/R: repeat for files; P/V/A/o/L do not).
      if (!fields.has(key)) fields.set(key, line.slice(2).trim());
    }
  }
  flush();
  return out;
}
