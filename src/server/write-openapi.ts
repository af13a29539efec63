/**
 * Regenerates docs/api/openapi.json from the API's zod schemas: `npm run docs:api`.
 * A test (openapi.test.ts) fails when the committed file differs from this output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OPENAPI_FILE, openApiText } from './openapi.js';

const root = path.resolve(import.meta.dirname, '../..');
mkdirSync(path.join(root, path.dirname(OPENAPI_FILE)), { recursive: true });
writeFileSync(path.join(root, OPENAPI_FILE), await openApiText(root));
process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
