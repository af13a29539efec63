/**
 * A minimal HTTPS client for the admission server tests and benchmark (node:https, no
 * extra dependency), reporting the status, parsed JSON body and the peer certificate.
 */
import https from 'node:https';

/** What one request returned. */
export interface ClientResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
  reusedSocket: boolean;
  peerSerial: string;
}

/** Options of `request`. */
export interface ClientRequestOptions {
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  agent?: https.Agent;
  ca?: string;
  cert?: string;
  key?: string;
}

/** Sends one request to `url` and resolves with the full response. */
export function request(url: string, options: ClientRequestOptions = {}): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: options.method ?? (options.body !== undefined ? 'POST' : 'GET'),
        headers: {
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.cert !== undefined ? { cert: options.cert } : {}),
        ...(options.key !== undefined ? { key: options.key } : {}),
      },
      (res) => {
        const socket = res.socket as unknown as {
          getPeerCertificate?: () => { serialNumber?: string };
        } | null;
        const peerSerial = socket?.getPeerCertificate?.().serialNumber ?? '';
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            reusedSocket: req.reusedSocket,
            peerSerial,
          });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}
