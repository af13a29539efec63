import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_PREFIX, API_ROUTES } from './api-types.js';
import { buildOpenApi, OPENAPI_FILE, openApiText } from './openapi.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('OpenAPI document', () => {
  it('is up to date with the zod schemas (run `npm run docs:api`)', async () => {
    const committed = await readFile(path.join(ROOT, OPENAPI_FILE), 'utf8');
    expect(committed).toBe(await openApiText(ROOT));
  });

  it('has one operation per route, with query parameters and a response schema', () => {
    const doc = buildOpenApi() as {
      paths: Record<
        string,
        Record<string, { parameters: { name: string }[]; responses: Record<string, unknown> }>
      >;
    };
    for (const r of API_ROUTES) {
      const op = doc.paths[`${API_PREFIX}${r.path}`]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op?.responses['200']).toBeDefined();
    }
    const findings = doc.paths[`${API_PREFIX}/findings`]?.get;
    expect(findings?.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(['severity', 'namespace', 'sort', 'order', 'limit', 'offset', 'q', 'framework']),
    );
  });
});
