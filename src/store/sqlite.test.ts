import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { storeContract } from './contract.js';
import { openStore } from './open.js';

const dir = mkdtempSync(path.join(tmpdir(), 'palisade-store-'));
let n = 0;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

storeContract('sqlite', (retention) =>
  openStore(
    { kind: 'sqlite', file: path.join(dir, `s${n++}`, 'palisade.db') },
    retention ? { retention } : {},
  ),
);
