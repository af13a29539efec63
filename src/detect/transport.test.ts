import { createSocket } from 'node:dgram';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from './detector.js';
import { openSink } from './transport.js';

const alert = (i: number): Alert => ({
  rule: 'pod-exec',
  title: 'Command executed in a pod',
  severity: 'high',
  mitre: ['T1609'],
  message: `eve ran sh in pod a/b #${i}`,
  subject: 'eve',
  target: 'pods/exec a/b',
  time: '2026-12-07T10:00:00Z',
  evidence: [`id-${i}`],
  count: 1,
  intel: [],
  source: 'audit',
  provider: 'kubernetes',
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function until<T>(get: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const tick = (): void => {
      const v = get();
      if (v !== undefined) resolve(v);
      else if (++n > 500) reject(new Error('not received'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('alert sinks', () => {
  it('sends RFC 5424 messages over UDP', async () => {
    const got: string[] = [];
    const server = createSocket('udp4');
    server.on('message', (m) => got.push(m.toString('utf8')));
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise((r) =>
          server.close(() => {
            r();
          }),
        ),
    );
    const warnings: string[] = [];
    const sink = openSink(`syslog+udp://127.0.0.1:${server.address().port}`, {
      host: 'n1',
      warn: (m) => warnings.push(m),
    });
    sink.send(alert(1));
    const msg = await until(() => got[0]);
    expect(msg).toMatch(
      /^<131>1 2026-12-07T10:00:00Z n1 palisade - pod-exec \[palisade@32473 rule="pod-exec"/,
    );
    await sink.close();
    expect(warnings).toEqual([]);
  });

  it('frames messages with their octet count over TCP', async () => {
    let data = '';
    const server: TcpServer = createTcpServer((s) =>
      s.on('data', (d: Buffer) => (data += d.toString('utf8'))),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise((r) =>
          server.close(() => {
            r();
          }),
        ),
    );
    const sink = openSink(`syslog+tcp://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      host: 'n1',
      warn: () => undefined,
    });
    sink.send(alert(1));
    sink.send(alert(2));
    await until(() => (data.includes('#2') ? data : undefined));
    await sink.close();
    const first = data.slice(0, data.indexOf(' '));
    const len = Number(first);
    expect(Buffer.byteLength(data.slice(first.length + 1)) - len).toBeGreaterThan(0);
    expect(data.slice(first.length + 1, first.length + 1 + len)).toContain('#1');
  });

  it('posts the alert JSON, or a Slack body, to a webhook', async () => {
    const bodies: string[] = [];
    const server: HttpServer = createHttpServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(b);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise((r) =>
          server.close(() => {
            r();
          }),
        ),
    );
    const port = (server.address() as AddressInfo).port;
    const json = openSink(`http://127.0.0.1:${port}/alerts`, { host: 'n1', warn: () => undefined });
    const slack = openSink(`http://127.0.0.1:${port}/slack?format=slack`, {
      host: 'n1',
      warn: () => undefined,
    });
    json.send(alert(1));
    slack.send(alert(2));
    await json.close();
    await slack.close();
    expect(bodies.map((b) => Object.keys(JSON.parse(b) as object)[0]).sort()).toEqual(['rule', 'text']);
  });

  it('gives up on a webhook that never answers, within its timeout and attempts, and says so', async () => {
    const server: HttpServer = createHttpServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => {
      server.closeAllConnections();
      return new Promise((r) =>
        server.close(() => {
          r();
        }),
      );
    });
    const warnings: string[] = [];
    const sink = openSink(`http://user:secret-pw@127.0.0.1:${(server.address() as AddressInfo).port}/x`, {
      host: 'n1',
      warn: (m) => warnings.push(m),
      timeoutMs: 100,
      attempts: 2,
    });
    sink.send(alert(1));
    await sink.close(10_000);
    expect(sink.stats).toMatchObject({ sent: 0, failed: 1 });
    expect(warnings[0]).toMatch(
      /^sink http:\/\/127\.0\.0\.1:\d+: 1 alerts not delivered: no answer within 100 ms after 2 attempts$/,
    );
    expect(warnings.join('')).not.toContain('secret-pw');
  });

  it('bounds its queue and says once when it is full', () => {
    const warnings: string[] = [];
    const sink = openSink('syslog+tcp://127.0.0.1:9', {
      host: 'n1',
      warn: (m) => warnings.push(m),
      queue: 2,
      timeoutMs: 50,
      attempts: 1,
    });
    for (let i = 0; i < 5; i++) sink.send(alert(i));
    expect(sink.stats.dropped).toBeGreaterThanOrEqual(2);
    expect(warnings.filter((w) => w.includes('queue full'))).toHaveLength(1);
    return sink.close(2000);
  });

  it('refuses unknown schemes', () => {
    expect(() => openSink('ftp://x', { host: 'n', warn: () => undefined })).toThrow(/unknown scheme/);
  });
});
