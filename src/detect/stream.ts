/**
 * The normalised event stream over NATS JetStream, so detection scales past one machine:
 * `detect serve --publish nats://…` publishes every normalised event once (a message id per
 * event, so a retried publish is stored once), and `detect run --from nats://…` replicas pull
 * from one durable consumer, each event delivered to one replica and acknowledged after it was
 * judged and its alerts written; an event a replica took and never acknowledged (it died) is
 * delivered again to another after the ack wait.
 */
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { DetectEvent } from './event.js';

/** Where the stream lives: `nats://HOST:PORT[/STREAM]` (the stream name defaults to PALISADE_EVENTS). */
export interface StreamAddress {
  servers: string;
  stream: string;
  subject: string;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses `nats://host:port[/STREAM]`; an error message names what is wrong. */
export function parseStreamUrl(text: string): StreamAddress | string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `"${text}" is not a URL; expected nats://HOST:PORT[/STREAM]`;
  }
  if (u.protocol !== 'nats:' && u.protocol !== 'tls:') return `"${text}": expected a nats:// or tls:// URL`;
  if (u.username !== '' || u.password !== '')
    return 'credentials in the NATS URL are not accepted (they would show in process lists); use a creds file';
  const stream = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'PALISADE_EVENTS';
  if (!NAME.test(stream)) return `stream name "${stream}" must be letters, digits, _ or - (at most 64)`;
  return { servers: `${u.protocol}//${u.host}`, stream, subject: `palisade.events.${stream.toLowerCase()}` };
}

/** The id JetStream deduplicates a published event by: the same event sent twice is stored once. */
export function eventMessageId(e: DetectEvent): string {
  return `${e.source}:${e.id}:${e.action.stage}`;
}

/** Options shared by the publisher and the consumer. */
export interface StreamOptions {
  /** Connection and request timeout (default 5,000 ms). */
  timeoutMs?: number;
}

async function open(addr: StreamAddress, options: StreamOptions): Promise<NatsConnection> {
  const timeout = options.timeoutMs ?? 5000;
  try {
    return await connect({
      servers: addr.servers,
      timeout,
      maxReconnectAttempts: 10,
      reconnectTimeWait: 500,
    });
  } catch (e) {
    throw new Error(`cannot reach NATS at ${addr.servers}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Creates the stream when it is missing (file storage, 2-minute duplicate window, bounded size). */
async function ensureStream(nc: NatsConnection, addr: StreamAddress, timeoutMs: number): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
  try {
    await jsm.streams.info(addr.stream);
  } catch {
    await jsm.streams.add({
      name: addr.stream,
      subjects: [addr.subject],
      duplicate_window: nanos(120_000),
      max_bytes: 8 * 1024 * 1024 * 1024,
      max_age: nanos(7 * 24 * 3600 * 1000),
    });
  }
}

/** A publisher of normalised events. */
export interface EventPublisher {
  /** Publishes the events in order and resolves when JetStream has stored each (or already had it). */
  publish(events: readonly DetectEvent[]): Promise<{ stored: number; duplicates: number }>;
  close(): Promise<void>;
}

/** Connects and makes sure the stream exists; a server that does not answer fails within the timeout. */
export async function openEventPublisher(
  addr: StreamAddress,
  options: StreamOptions = {},
): Promise<EventPublisher> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const nc = await open(addr, options);
  await ensureStream(nc, addr, timeoutMs);
  const js = jetstream(nc, { timeout: timeoutMs });
  return {
    async publish(events) {
      let stored = 0;
      let duplicates = 0;
      // Publishes are pipelined, then awaited together: each has its own ack and timeout.
      const acks = await Promise.all(
        events.map((e) =>
          js.publish(addr.subject, JSON.stringify(e), { msgID: eventMessageId(e), timeout: timeoutMs }),
        ),
      );
      for (const a of acks) {
        if (a.duplicate) duplicates++;
        else stored++;
      }
      return { stored, duplicates };
    },
    async close() {
      // Everything published was acknowledged already; a connection lost meanwhile is no error.
      if (!nc.isClosed()) await nc.drain().catch(() => undefined);
    },
  };
}

/** Options of {@link consumeEvents}. */
export interface ConsumeOptions extends StreamOptions {
  /** The durable consumer replicas share (default `palisade-detect`). */
  durable?: string;
  /** Events taken per pull (default 200). */
  batch?: number;
  /** How long an unacknowledged event waits before it is delivered again (default 10,000 ms). */
  ackWaitMs?: number;
  /** Stops consuming (after the batch in hand is judged and acknowledged). */
  signal?: AbortSignal;
  /** Called when a record on the stream is not an event (it is acknowledged and skipped). */
  onBadMessage?: (seq: number, message: string) => void;
  /** Returns once the stream has had nothing new for this long (ms); by default consumes until stopped. */
  idleExitMs?: number;
}

function isEvent(v: unknown): v is DetectEvent {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Partial<DetectEvent>;
  return (
    typeof e.id === 'string' &&
    typeof e.source === 'string' &&
    typeof e.actor === 'object' &&
    typeof e.action === 'object' &&
    typeof e.target === 'object' &&
    typeof e.network === 'object' &&
    typeof e.process === 'object'
  );
}

/**
 * Pulls events from the shared durable consumer and hands each batch to `judge`; the batch is
 * acknowledged (and the acknowledgement confirmed by the server) only after `judge` resolved,
 * so a replica that dies mid-batch leaves its events to be delivered again.
 */
export async function consumeEvents(
  addr: StreamAddress,
  judge: (events: DetectEvent[], redelivered: number) => Promise<void> | void,
  options: ConsumeOptions = {},
): Promise<{ events: number; redelivered: number }> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const durable = options.durable ?? 'palisade-detect';
  if (!NAME.test(durable)) throw new Error(`consumer name "${durable}" must be letters, digits, _ or -`);
  const nc = await open(addr, options);
  let events = 0;
  let redelivered = 0;
  try {
    await ensureStream(nc, addr, timeoutMs);
    const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
    try {
      await jsm.consumers.info(addr.stream, durable);
    } catch {
      await jsm.consumers.add(addr.stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(options.ackWaitMs ?? 10_000),
        max_ack_pending: 10_000,
      });
    }
    const consumer = await jetstream(nc, { timeout: timeoutMs }).consumers.get(addr.stream, durable);
    const batch = options.batch ?? 200;
    let idleSince = Date.now();
    while (options.signal?.aborted !== true) {
      const msgs = await consumer.fetch({ max_messages: batch, expires: 1000 });
      const taken: JsMsg[] = [];
      for await (const m of msgs) taken.push(m);
      if (taken.length === 0) {
        if (options.idleExitMs !== undefined && Date.now() - idleSince >= options.idleExitMs) break;
        continue;
      }
      idleSince = Date.now();
      const good: DetectEvent[] = [];
      let again = 0;
      for (const m of taken) {
        if (m.redelivered) again++;
        let v: unknown;
        try {
          v = m.json();
        } catch {
          v = undefined;
        }
        if (isEvent(v)) good.push(v);
        else options.onBadMessage?.(m.seq, 'not a Palisade event');
      }
      await judge(good, again);
      // Confirmed acknowledgements: when this returns, the server will not deliver them again.
      await Promise.all(taken.map((m) => m.ackAck({ timeout: timeoutMs })));
      events += good.length;
      redelivered += again;
    }
  } finally {
    await nc.drain().catch(() => undefined);
  }
  return { events, redelivered };
}
