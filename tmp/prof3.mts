import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { migrateStore, Store } from '../src/store/index.ts';
import { rmSync, mkdirSync } from 'node:fs';
process.env.PALISADE_BENCH_SCANS = '30';
const mod = await import('../bench/store.ts');
rmSync('/tmp/prof', { recursive: true, force: true }); mkdirSync('/tmp/prof');
const database = new Database('/tmp/prof/p.db'); database.pragma('journal_mode = WAL'); database.pragma('synchronous = FULL');
let sqlms = 0;
const db = new Kysely<any>({ dialect: new SqliteDialect({ database }), log: (e) => { sqlms += e.queryDurationMillis; if (e.queryDurationMillis > 15 && process.env.SHOW) console.log(e.queryDurationMillis.toFixed(0), e.query.sql.slice(0, 80).replace(/\s+/g,' ')); } });
await migrateStore(db, 'sqlite');
const s = new Store(db, 'sqlite');
// @ts-ignore
const inputs = (mod as any).scansForProfile(30, 0);
for (const [n, i] of inputs.entries()) { if (n === 28) process.env.SHOW = '1'; sqlms = 0; const t = performance.now(); await s.recordScan(i); console.log('scan', (performance.now() - t).toFixed(0), 'sql', sqlms.toFixed(0)); }
