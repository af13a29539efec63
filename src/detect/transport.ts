/**
 * Sending alerts to a SIEM: syslog (RFC 5424) over UDP, TCP (octet-counted frames, RFC 6587) or
 * TLS, and HTTP webhooks (the alert JSON, or a Slack-compatible body). Each sink has a bounded
 * queue (a full queue is counted and said once, never silent), connect and request timeouts,
 * and bounded retries with backoff; closing flushes within a deadline.
 */
import { createSocket } from 'node:dgram';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Alert } from './detector.js';
import { alertJson, alertSlack, alertSyslog } from './sinks.js';

/** A destination for alerts. */
export interface AlertSink {
  /** What the sink was given as, without credentials (for messages). */
  readonly name: string;
  /** Queues an alert; never blocks. */
  send(alert: Alert): void;
  /** Sends what is queued (within `deadlineMs`) and releases the connection. */
  close(deadlineMs?: number): Promise<void>;
  readonly stats: { sent: number; failed: number; dropped: number };
}

/** Options of every sink. */
export interface SinkOptions {
  /** Alerts waiting to be sent at most (default 1,000). */
  queue?: number;
  /** Connect and request timeout (default 5,000 ms). */
  timeoutMs?: number;
  /** Attempts per alert for HTTP, per connection for TCP/TLS (default 3). */
  attempts?: number;
  /** Told once when the queue is full and when sending fails. */
  warn: (message: string) => void;
  /** Host name put in syslog messages. */
  host: string;
}

/** The URL as shown in messages: scheme, host and port only (no user, password, path or query). */
export function sinkName(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A queue drained by one async worker. */
function queuedSink(
  name: string,
  options: SinkOptions,
  deliver: (batch: Alert[]) => Promise<void>,
  finish?: () => void,
): AlertSink {
  const cap = options.queue ?? 1000;
  const queue: Alert[] = [];
  const stats = { sent: 0, failed: 0, dropped: 0 };
  let running: Promise<void> | undefined;
  let warnedFull = false;
  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.splice(0, 100);
      try {
        await deliver(batch);
        stats.sent += batch.length;
      } catch (e) {
        stats.failed += batch.length;
        options.warn(
          `sink ${name}: ${batch.length} alerts not delivered: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  };
  return {
    name,
    stats,
    send(alert) {
      if (queue.length >= cap) {
        stats.dropped++;
        if (!warnedFull)
          options.warn(
            `sink ${name}: queue full (${cap} alerts waiting); alerts are being dropped and counted`,
          );
        warnedFull = true;
        return;
      }
      queue.push(alert);
      running ??= drain().finally(() => {
        running = undefined;
      });
    },
    async close(deadlineMs = 5000) {
      const pending = running ?? Promise.resolve();
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        pending.then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => {
            r(true);
          }, deadlineMs);
        }),
      ]);
      clearTimeout(timer);
      if (late)
        options.warn(`sink ${name}: ${queue.length} alerts still queued after ${deadlineMs} ms; giving up`);
      finish?.();
    },
  };
}

function udpSink(url: URL, options: SinkOptions): AlertSink {
  const socket = createSocket(url.hostname.includes(':') ? 'udp6' : 'udp4');
  socket.unref();
  const port = Number(url.port || 514);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return queuedSink(
    sinkName(url),
    options,
    async (batch) => {
      for (const a of batch)
        await new Promise<void>((resolve, reject) => {
          socket.send(alertSyslog(a, options.host), port, host, (e) => {
            if (e) reject(e);
            else resolve();
          });
        });
    },
    () => {
      socket.close();
    },
  );
}

function streamSink(url: URL, tls: boolean, options: SinkOptions): AlertSink {
  const timeout = options.timeoutMs ?? 5000;
  const attempts = options.attempts ?? 3;
  const port = Number(url.port || (tls ? 6514 : 514));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const caFile = url.searchParams.get('ca');
  const ca = caFile !== null ? readFileSync(caFile) : undefined;
  let socket: Socket | undefined;
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = tls
        ? tlsConnect({ host, port, servername: host, ...(ca ? { ca } : {}) })
        : netConnect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no connection to ${host}:${port} within ${timeout} ms`));
      }, timeout);
      s.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
      s.on('close', () => {
        if (socket === s) socket = undefined;
      });
    });
  return queuedSink(
    sinkName(url),
    options,
    async (batch) => {
      const frames = batch.map((a) => {
        const msg = alertSyslog(a, options.host);
        return `${Buffer.byteLength(msg)} ${msg}`;
      });
      for (let attempt = 1; ; attempt++) {
        try {
          socket ??= await open();
          const s = socket;
          await new Promise<void>((resolve, reject) => {
            s.write(frames.join(''), (e) => {
              if (e) reject(e);
              else resolve();
            });
          });
          return;
        } catch (e) {
          socket?.destroy();
          socket = undefined;
          if (attempt >= attempts) throw e;
          await sleep(200 * 2 ** attempt);
        }
      }
    },
    () => {
      socket?.end();
    },
  );
}

function httpSink(url: URL, options: SinkOptions): AlertSink {
  const timeout = options.timeoutMs ?? 5000;
  const attempts = options.attempts ?? 3;
  const slack = url.searchParams.get('format') === 'slack';
  // Credentials in the URL go in an Authorization header; the URL fetched (and any error
  // message that quotes it) carries none.
  const target = new URL(url);
  const auth =
    target.username !== '' || target.password !== ''
      ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`
      : undefined;
  target.username = '';
  target.password = '';
  return queuedSink(sinkName(url), options, async (batch) => {
    for (const a of batch) {
      const body = JSON.stringify(slack ? alertSlack(a) : alertJson(a));
      for (let attempt = 1; ; attempt++) {
        let retry: string;
        try {
          const res = await fetch(target, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(auth !== undefined ? { authorization: auth } : {}),
            },
            body,
            signal: AbortSignal.timeout(timeout),
          });
          await res.arrayBuffer();
          if (res.ok) break;
          if (res.status < 500 && res.status !== 429) throw new Error(`HTTP ${res.status} (not retried)`);
          retry = `HTTP ${res.status}`;
        } catch (e) {
          if (e instanceof Error && e.message.endsWith('(not retried)')) throw e;
          retry =
            e instanceof Error && e.name === 'TimeoutError'
              ? `no answer within ${timeout} ms`
              : e instanceof Error
                ? e.cause instanceof Error
                  ? e.cause.message
                  : e.message
                : String(e);
        }
        if (attempt >= attempts) throw new Error(`${retry} after ${attempts} attempts`);
        await sleep(200 * 2 ** attempt);
      }
    }
  });
}

/** Opens a sink for a URL: syslog+udp://, syslog+tcp://, syslog+tls:// (?ca=FILE), http:// or https:// (?format=slack). */
export function openSink(spec: string, options: SinkOptions): AlertSink {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new Error(
      `--sink ${spec.slice(0, 80)}: not a URL (e.g. syslog+tcp://siem.example:514, https://hooks.example/alerts)`,
    );
  }
  switch (url.protocol) {
    case 'syslog+udp:':
    case 'syslog:':
      return udpSink(url, options);
    case 'syslog+tcp:':
      return streamSink(url, false, options);
    case 'syslog+tls:':
      return streamSink(url, true, options);
    case 'http:':
    case 'https:':
      return httpSink(url, options);
    default:
      throw new Error(
        `--sink ${sinkName(url)}: unknown scheme (syslog+udp, syslog+tcp, syslog+tls, http, https)`,
      );
  }
}
