import { Agent, request } from 'node:https';
import type { ClusterUser, TestCluster } from './cluster.js';

/** One API call: status and the parsed JSON body (`{ raw }` when the body is not JSON). */
export type RestCall = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; json: Record<string, unknown> }>;

/**
 * A minimal JSON client for the test API server that authenticates as `user` with its client
 * certificate. PATCH bodies are sent as merge patches. Tests use it where they need the raw
 * status code and body rather than a typed client.
 */
export function restClient(
  cluster: TestCluster,
  user: ClusterUser,
  options: { maxSockets?: number } = {},
): { call: RestCall; close: () => void } {
  const url = new URL(cluster.server);
  const agent = new Agent({
    keepAlive: true,
    ...(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {}),
    ca: cluster.caPem,
    cert: user.certPem,
    key: user.keyPem,
  });
  const call: RestCall = (method, path, body) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const type = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          agent,
          headers: {
            accept: 'application/json',
            ...(payload ? { 'content-type': type, 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: Record<string, unknown> = {};
            try {
              json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch {
              json = { raw: text };
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  };
  return {
    call,
    close: () => {
      agent.destroy();
    },
  };
}
