/**
 * The local image verdict store: the last scan of each digest, the last signature check of each
 * digest under each set of signature rules, and the digest each tag reference resolved to. One
 * SQLite file (WAL, so the webhook's evaluation threads read while the background job writes).
 * Reads are synchronous indexed lookups: the admission request path reads it and nothing else.
 *
 * Why not the history store (src/store): its API is asynchronous (kysely) and may sit on
 * PostgreSQL across the network; the request path needs a local synchronous read.
 */
import { mkdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { InputError } from '../core/index.js';
import type { GateFinding, ImageFacts, ScanVerdict, SignatureVerdict } from './gate.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS image_scans (
  digest TEXT PRIMARY KEY,
  ref TEXT NOT NULL,
  scanned_at TEXT NOT NULL,
  packages INTEGER NOT NULL,
  error TEXT,
  findings TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS image_signatures (
  digest TEXT NOT NULL,
  policy TEXT NOT NULL,
  checked_at TEXT NOT NULL,
  verified INTEGER NOT NULL,
  signer TEXT,
  reason TEXT NOT NULL,
  PRIMARY KEY (digest, policy)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS image_tags (
  ref TEXT PRIMARY KEY,
  digest TEXT NOT NULL,
  resolved_at TEXT NOT NULL
) WITHOUT ROWID;
`;

/** The default store file: `~/.palisade/images.sqlite`. */
export function defaultVerdictStorePath(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return path.join(env.HOME ?? os.homedir(), '.palisade', 'images.sqlite');
}

interface ScanRow {
  digest: string;
  ref: string;
  scanned_at: string;
  packages: number;
  error: string | null;
  findings: string;
}

interface SignatureRow {
  digest: string;
  policy: string;
  checked_at: string;
  verified: number;
  signer: string | null;
  reason: string;
}

const MAX_CACHED = 4096;

/** An open verdict store. Readers open it read-only; the background job opens it for writing. */
export class VerdictStore {
  private readonly scanStmt: Database.Statement<[string], ScanRow>;
  private readonly sigStmt: Database.Statement<[string, string], SignatureRow>;
  private readonly tagStmt: Database.Statement<[string], { digest: string }>;
  /** Parsed scans by digest, reused while the stored scan time is unchanged. */
  private readonly parsed = new Map<string, ScanVerdict>();

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    this.scanStmt = db.prepare('SELECT * FROM image_scans WHERE digest = ?');
    this.sigStmt = db.prepare('SELECT * FROM image_signatures WHERE digest = ? AND policy = ?');
    this.tagStmt = db.prepare('SELECT digest FROM image_tags WHERE ref = ?');
  }

  /** Opens (creating when absent) the store for writing. */
  static openForWrite(file: string): VerdictStore {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 2000');
      db.exec(SCHEMA);
      return new VerdictStore(db, file);
    } catch (e) {
      throw new InputError(
        `${file}: cannot open the image verdict store for writing (${(e as Error).message})`,
      );
    }
  }

  /** Opens an existing store read-only (the webhook's evaluation threads). */
  static openReadOnly(file: string): VerdictStore {
    if (!existsSync(file))
      throw new InputError(`${file}: no image verdict store (the webhook creates it when it starts)`);
    try {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 200');
      return new VerdictStore(db, file);
    } catch (e) {
      throw new InputError(`${file}: cannot open the image verdict store (${(e as Error).message})`);
    }
  }

  /** The last scan of a digest. */
  scanOf(digest: string): ScanVerdict | undefined {
    const row = this.scanStmt.get(digest);
    if (!row) return undefined;
    const cached = this.parsed.get(digest);
    if (cached && cached.scannedAt === row.scanned_at) return cached;
    let findings: unknown;
    try {
      findings = JSON.parse(row.findings);
    } catch {
      findings = undefined;
    }
    const verdict: ScanVerdict = {
      digest: row.digest,
      ref: row.ref,
      scannedAt: row.scanned_at,
      packages: row.packages,
      findings: Array.isArray(findings) ? (findings as GateFinding[]) : [],
    };
    if (row.error !== null) verdict.error = row.error;
    // Fail closed: a row whose findings cannot be read is no scan at all, never a clean one.
    else if (!Array.isArray(findings)) verdict.error = 'the stored scan is unreadable';
    if (this.parsed.size >= MAX_CACHED) this.parsed.clear();
    this.parsed.set(digest, verdict);
    return verdict;
  }

  /** The last signature check of a digest under a signature-rules fingerprint. */
  signatureOf(digest: string, policy: string): SignatureVerdict | undefined {
    const row = this.sigStmt.get(digest, policy);
    if (!row) return undefined;
    const v: SignatureVerdict = {
      digest: row.digest,
      policy: row.policy,
      checkedAt: row.checked_at,
      verified: row.verified === 1,
      reason: row.reason,
    };
    if (row.signer !== null) v.signer = row.signer;
    return v;
  }

  /** The digest a tag reference last resolved to. */
  digestOf(ref: string): string | undefined {
    return this.tagStmt.get(ref)?.digest;
  }

  /** Keeps the scan of a digest (replacing an earlier one). */
  putScan(v: ScanVerdict): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO image_scans (digest, ref, scanned_at, packages, error, findings) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(v.digest, v.ref, v.scannedAt, v.packages, v.error ?? null, JSON.stringify(v.findings));
  }

  /** Keeps a signature verdict. */
  putSignature(v: SignatureVerdict): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO image_signatures (digest, policy, checked_at, verified, signer, reason) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(v.digest, v.policy, v.checkedAt, v.verified ? 1 : 0, v.signer ?? null, v.reason);
  }

  /** Keeps the digest a tag reference resolved to. */
  putTag(ref: string, digest: string, resolvedAt: string): void {
    this.db
      .prepare('INSERT OR REPLACE INTO image_tags (ref, digest, resolved_at) VALUES (?, ?, ?)')
      .run(ref, digest, resolvedAt);
  }

  /** Closes the file. */
  close(): void {
    this.db.close();
  }
}

/** The name of the channel on which evaluation threads announce images the store does not know. */
export function seenChannelName(storePath: string): string {
  return `palisade-images-seen:${storePath}`;
}

const MAX_ANNOUNCED = 10_000;
const REANNOUNCE_MS = 30_000;

/**
 * Image facts over a store, announcing unknown images on a BroadcastChannel (to the background
 * job, in whichever thread it runs). A reference is announced at most once per 30 s, so a
 * flood of requests for one image posts one message, and an image the job dropped (full
 * queue, restart) is asked for again.
 */
export function storeFacts(
  store: VerdictStore,
  announce?: (ref: string) => void,
): ImageFacts & { close(): void } {
  let channel: BroadcastChannel | undefined;
  const post =
    announce ??
    ((ref: string) => {
      if (!channel) {
        channel = new BroadcastChannel(seenChannelName(store.path));
        // The channel must not keep a thread alive.
        (channel as unknown as { unref?: () => void }).unref?.();
      }
      channel.postMessage(ref);
    });
  const announced = new Map<string, number>();
  return {
    scanOf: (d) => store.scanOf(d),
    signatureOf: (d, p) => store.signatureOf(d, p),
    digestOf: (r) => store.digestOf(r),
    seen: (ref) => {
      const now = Date.now();
      const last = announced.get(ref);
      if (last !== undefined && now - last < REANNOUNCE_MS) return;
      if (announced.size >= MAX_ANNOUNCED) announced.clear();
      announced.set(ref, now);
      post(ref);
    },
    close: () => {
      channel?.close();
    },
  };
}
