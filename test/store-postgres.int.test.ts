import { afterAll, beforeAll, describe } from 'vitest';
import { openStore } from '../src/store/index.js';
import { storeContract } from '../src/store/contract.js';
import { startPostgres, type TestPostgres } from './harness/postgres.js';
import { requirePostgresOrSkip } from './harness/postgres-gate.js';

const gate = requirePostgresOrSkip();
if (!gate.run) console.log(`store-postgres: skipped: ${gate.reason ?? ''}`);

describe.skipIf(!gate.run)('PostgreSQL store', () => {
  let pg: TestPostgres | undefined;
  let n = 0;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
  }, 60_000);

  storeContract('postgres', async (retention) => {
    if (!pg) throw new Error('PostgreSQL did not start');
    const url = await pg.createDatabase(`contract_${n++}`);
    return openStore({ kind: 'postgres', url }, retention ? { retention } : {});
  });
});
