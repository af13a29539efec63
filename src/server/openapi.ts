/**
 * The OpenAPI 3.1 document of the dashboard API, generated from the zod schemas of
 * `api-types.ts` (pure). `npm run docs:api` writes it to docs/api/openapi.json and a test
 * fails when the committed file differs.
 */
import path from 'node:path';
import { z } from 'zod';
import { API_PREFIX, API_ROUTES, ErrorBodySchema, type ApiRoute } from './api-types.js';

/** Where the generated document is committed, relative to the repository root. */
export const OPENAPI_FILE = 'docs/api/openapi.json';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function schemaOf(s: z.ZodType, io: 'input' | 'output'): Record<string, Json> {
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    Json
  >;
  delete out.$schema;
  return out;
}

function parametersOf(route: ApiRoute): Json[] {
  if (!route.query) return [];
  const schema = schemaOf(route.query, 'input');
  const props = (schema.properties ?? {}) as Record<string, Record<string, Json>>;
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: 'query',
      required: required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

const ERRORS: Record<string, string> = {
  '400': 'Invalid query or body (unknown parameter, out-of-range limit, unknown sort field)',
  '401': 'Not authenticated',
  '403': 'Not allowed (role), or a cookie-authenticated state-changing call without X-CSRF-Token',
  '404': 'No such cluster, scan or route',
  '413': 'The inputs are too large to analyse here',
  '503': 'No cluster objects to analyse (RBAC and network pages)',
};

/** Builds the OpenAPI document from the route table. */
export function buildOpenApi(): Record<string, Json> {
  const paths: Record<string, Record<string, Json>> = {};
  const routes: readonly ApiRoute[] = API_ROUTES;
  for (const route of routes) {
    const p = `${API_PREFIX}${route.path}`;
    const op: Record<string, Json> = {
      summary: route.summary,
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(route.access === 'public' ? { security: [] } : {}),
      parameters: parametersOf(route),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        '200': {
          description: 'OK',
          content: { 'application/json': { schema: schemaOf(route.response, 'output') } },
        },
        ...(route.method === 'GET'
          ? { '304': { description: 'Not modified (If-None-Match matched the ETag)' } }
          : {}),
        ...Object.fromEntries(
          Object.entries(ERRORS).map(([code, description]) => [
            code,
            {
              description,
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
          ]),
        ),
      },
    };
    paths[p] = { ...(paths[p] ?? {}), [route.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Palisade dashboard API',
      version: 'v1',
      description:
        'JSON API of `palisade serve`. Authenticate with `Authorization: Bearer TOKEN` (from --token-file) or a session cookie from POST /api/v1/auth/login or the OIDC login (GET /api/v1/auth/oidc/login, then /api/v1/auth/oidc/callback). Cookie-authenticated POSTs need the X-CSRF-Token header from GET /api/v1/session. Responses carry ETags; send If-None-Match to get 304.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'palisade_session' },
      },
      schemas: { Error: schemaOf(ErrorBodySchema, 'output') },
    },
    paths,
  };
}

/** The document as committed: JSON formatted by Prettier with the repository's settings. */
export async function openApiText(root: string): Promise<string> {
  const { format, resolveConfig } = await import('prettier');
  const file = path.join(root, OPENAPI_FILE);
  const config = (await resolveConfig(file)) ?? {};
  return format(JSON.stringify(buildOpenApi()), { ...config, filepath: file });
}
