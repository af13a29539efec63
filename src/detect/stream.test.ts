import { describe, expect, it } from 'vitest';
import { emptyEvent } from './event.js';
import { eventMessageId, parseStreamUrl } from './stream.js';

describe('parseStreamUrl', () => {
  it.each([
    [
      'nats://127.0.0.1:4222',
      {
        servers: 'nats://127.0.0.1:4222',
        stream: 'PALISADE_EVENTS',
        subject: 'palisade.events.palisade_events',
      },
    ],
    [
      'nats://nats.svc:4222/AUDIT',
      { servers: 'nats://nats.svc:4222', stream: 'AUDIT', subject: 'palisade.events.audit' },
    ],
    [
      'tls://nats.svc:4222',
      {
        servers: 'tls://nats.svc:4222',
        stream: 'PALISADE_EVENTS',
        subject: 'palisade.events.palisade_events',
      },
    ],
  ])('%s', (url, expected) => {
    expect(parseStreamUrl(url)).toEqual(expected);
  });

  it.each([
    ['nats.svc:4222', 'expected a nats:// or tls:// URL'],
    ['http://nats.svc:4222', 'expected a nats:// or tls:// URL'],
    ['not a url', 'is not a URL'],
    ['nats://bob:hunter2@nats.svc:4222', 'credentials in the NATS URL are not accepted'],
    ['nats://nats.svc:4222/a.b', 'stream name "a.b" must be letters'],
  ])('refuses %s', (url, message) => {
    const r = parseStreamUrl(url);
    expect(typeof r).toBe('string');
    expect(r).toContain(message);
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });
});

describe('eventMessageId', () => {
  it('tells the stages of one audit event apart, and repeats for the same event', () => {
    const a = emptyEvent('audit', 'kubernetes', 'id-1');
    a.action.stage = 'ResponseStarted';
    const b = emptyEvent('audit', 'kubernetes', 'id-1');
    b.action.stage = 'ResponseComplete';
    expect(eventMessageId(a)).not.toBe(eventMessageId(b));
    expect(eventMessageId(b)).toBe(eventMessageId({ ...b }));
  });
});
