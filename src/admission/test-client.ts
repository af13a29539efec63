/**
 * A minimal HTTPS client for the admission server tests and benchmark (node:https, no
 * extra dependency), reporting the status, parsed JSON body and the peer certificate.
 */
import https from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

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

/** One answer read from a `KeepAliveConnection`. */
export interface RawResponse {
  status: number;
  text: string;
}

/**
 * One TLS connection kept open, carrying one HTTP/1.1 request at a time, as the API server
 * keeps its connections to a webhook: the request bytes are written in one call and the
 * answer is read by its content length. It costs the client a fraction of `node:https`, so a
 * latency test measures the server rather than its own client.
 */
export class KeepAliveConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | undefined;

  private constructor(
    private readonly socket: TLSSocket,
    private readonly host: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.parse();
    });
    const fail = (e: Error): void => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => {
      fail(new Error('connection closed'));
    });
  }

  /** Opens a connection to `https://host:port` trusting `ca`. */
  static open(url: string, ca: string): Promise<KeepAliveConnection> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: u.hostname, port: Number(u.port), ca }, () => {
        socket.off('error', reject);
        resolve(new KeepAliveConnection(socket, u.host));
      });
      socket.once('error', reject);
    });
  }

  /** Sends one request; the previous one must have been answered. */
  send(method: string, path: string, body?: Buffer): Promise<RawResponse> {
    if (this.waiting) return Promise.reject(new Error('a request is already in flight'));
    const head =
      `${method} ${path} HTTP/1.1\r\nhost: ${this.host}\r\n` +
      (body ? `content-type: application/json\r\ncontent-length: ${body.length}\r\n` : '') +
      '\r\n';
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : head);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): void {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end === -1 || !this.waiting) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (length === undefined) {
      const w = this.waiting;
      this.waiting = undefined;
      w.reject(new Error(`answer without content-length: ${head.slice(0, 200)}`));
      return;
    }
    const total = end + 4 + Number(length);
    if (this.buffered.length < total) return;
    const text = this.buffered.subarray(end + 4, total).toString('utf8');
    this.buffered = this.buffered.subarray(total);
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve({ status, text });
  }
}
