/** One installed package as its rpm header says. */
export interface RpmRecord {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  /** SOURCERPM (`openssl-3.0.7-27.el9.src.rpm`). */
  sourceRpm?: string;
  license?: string;
}

const TAG = {
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  license: 1014,
  arch: 1022,
  sourceRpm: 1044,
} as const;
const TYPE = { int32: 4, string: 6, stringArray: 8, i18nString: 9 } as const;

/**
 * Parses an rpm header blob as rpmdb.sqlite (and ndb) store it: index count and data length
 * (big-endian int32), 16-byte index entries (tag, type, offset, count), then the data store.
 * Undefined when the blob does not hold together or lacks name, version or release.
 */
export function parseRpmHeader(blob: Buffer): RpmRecord | undefined {
  if (blob.length < 8) return undefined;
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  const dataStart = 8 + il * 16;
  if (il > 100_000 || dl > blob.length || dataStart + dl > blob.length) return undefined;
  const strings = new Map<number, string>();
  const ints = new Map<number, number>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = blob.readUInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readUInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    if (offset >= dl) continue;
    const pos = dataStart + offset;
    if (type === TYPE.string || type === TYPE.i18nString || type === TYPE.stringArray) {
      const end = blob.indexOf(0, pos);
      if (end === -1 || end > dataStart + dl) continue;
      strings.set(tag, blob.toString('utf8', pos, end));
    } else if (type === TYPE.int32 && count >= 1 && pos + 4 <= dataStart + dl) {
      ints.set(tag, blob.readInt32BE(pos));
    }
  }
  const name = strings.get(TAG.name);
  const version = strings.get(TAG.version);
  const release = strings.get(TAG.release);
  if (!name || !version || !release) return undefined;
  const r: RpmRecord = { name, version, release };
  const epoch = ints.get(TAG.epoch);
  if (epoch !== undefined) r.epoch = epoch;
  const arch = strings.get(TAG.arch);
  if (arch !== undefined) r.arch = arch;
  const source = strings.get(TAG.sourceRpm);
  if (source !== undefined && source !== '(none)') r.sourceRpm = source;
  const license = strings.get(TAG.license);
  if (license !== undefined) r.license = license;
  return r;
}

/** `[epoch:]version-release`, as rpm and OSV spell an installed version. */
export function rpmVersion(r: RpmRecord): string {
  return `${r.epoch !== undefined && r.epoch !== 0 ? `${r.epoch}:` : ''}${r.version}-${r.release}`;
}

/** Splits `name-version-release.src.rpm` into source name and version-release. */
export function parseSourceRpm(s: string): { name: string; version: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(s);
  return m?.[1] !== undefined && m[2] !== undefined && m[3] !== undefined
    ? { name: m[1], version: `${m[2]}-${m[3]}` }
    : undefined;
}

/** Builds a header blob (for tests and the synthetic images of the docs). */
export function buildRpmHeader(fields: {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
}): Buffer {
  const entries: { tag: number; type: number; data: Buffer }[] = [];
  const str = (tag: number, v: string | undefined): void => {
    if (v !== undefined) entries.push({ tag, type: TYPE.string, data: Buffer.from(`${v}\0`) });
  };
  str(TAG.name, fields.name);
  str(TAG.version, fields.version);
  str(TAG.release, fields.release);
  if (fields.epoch !== undefined) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(fields.epoch);
    entries.push({ tag: TAG.epoch, type: TYPE.int32, data: b });
  }
  str(TAG.arch, fields.arch);
  str(TAG.sourceRpm, fields.sourceRpm);
  const index = Buffer.alloc(8 + entries.length * 16);
  const data: Buffer[] = [];
  let offset = 0;
  entries.forEach((e, i) => {
    // int32 values are 4-byte aligned in the data store.
    if (e.type === TYPE.int32 && offset % 4 !== 0) {
      const pad = 4 - (offset % 4);
      data.push(Buffer.alloc(pad));
      offset += pad;
    }
    index.writeUInt32BE(e.tag, 8 + i * 16);
    index.writeUInt32BE(e.type, 12 + i * 16);
    index.writeUInt32BE(offset, 16 + i * 16);
    index.writeUInt32BE(1, 20 + i * 16);
    data.push(e.data);
    offset += e.data.length;
  });
  index.writeUInt32BE(entries.length, 0);
  index.writeUInt32BE(offset, 4);
  return Buffer.concat([index, ...data]);
}
