import { describe, expect, it } from 'vitest';
import { normalizeAuditEvent, redactObject } from './normalize-audit.js';

describe('redactObject', () => {
  it.each([
    [
      'a Secret’s data and stringData',
      'secrets',
      { data: { k: 'c2VjcmV0' }, stringData: { k: 'x' }, type: 'Opaque' },
      { data: '[redacted]', stringData: '[redacted]', type: 'Opaque' },
    ],
    ['a ConfigMap’s data is not a credential', 'configmaps', { data: { k: 'v' } }, { data: { k: 'v' } }],
    [
      'a token inside a list',
      'tokenreviews',
      { spec: [{ token: 'ey..' }, { name: 'n' }] },
      { spec: [{ token: '[redacted]' }, { name: 'n' }] },
    ],
    [
      'a password deep down',
      'pods',
      { a: { b: { c: { password: 'p', keep: 1 } } } },
      { a: { b: { c: { password: '[redacted]', keep: 1 } } } },
    ],
    ['scalars', 'pods', 'text', 'text'],
  ])('%s', (_name, kind, input, want) => {
    const before = JSON.stringify(input);
    expect(redactObject(kind, input)).toEqual(want);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('hands back an object without credentials as it is, and copies only the path to one', () => {
    const spec = { containers: [{ name: 'app', image: 'nginx' }] };
    const pod = { kind: 'Pod', spec };
    expect(redactObject('pods', pod)).toBe(pod);
    const withToken = { spec, auth: { token: 't' } };
    const out = redactObject('pods', withToken) as typeof withToken;
    expect(out).not.toBe(withToken);
    expect(out.spec).toBe(spec);
    expect(withToken.auth.token).toBe('t');
  });

  it('keeps a JSON __proto__ key as data', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "token": "t"}') as Record<string, unknown>;
    const out = redactObject('pods', input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(out.token).toBe('[redacted]');
  });
});

describe('normalizeAuditEvent', () => {
  it('never puts Secret data in the event, and leaves the input alone', () => {
    const raw = {
      kind: 'Event',
      verb: 'create',
      user: { username: 'alice', groups: ['system:authenticated', 7] },
      objectRef: { resource: 'secrets', namespace: 'a', name: 's' },
      requestObject: { kind: 'Secret', data: { password: 'aHVudGVyMg==' } },
    };
    const ev = normalizeAuditEvent(raw, 'kubernetes', 'x');
    expect(JSON.stringify(ev)).not.toContain('aHVudGVyMg');
    expect(raw.requestObject.data.password).toBe('aHVudGVyMg==');
    expect(ev.actor.groups).toEqual(['system:authenticated']);
  });
});
