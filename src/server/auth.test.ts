import { describe, expect, it } from 'vitest';
import { InputError } from '../core/index.js';
import { matchToken, parseTokenFile, SessionStore } from './auth.js';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);

describe('parseTokenFile', () => {
  it('reads token and role per line, skipping blanks and comments', () => {
    const entries = parseTokenFile(`# team tokens\n\n${A} viewer\n  ${B}   admin  \n`, 'tokens.txt');
    expect(entries.map((e) => [e.role, e.label])).toEqual([
      ['viewer', 'token #3'],
      ['admin', 'token #4'],
    ]);
  });

  it.each([
    ['one word', `${A}\n`, 'tokens.txt:1: expected "TOKEN ROLE"'],
    ['three words', `${A} viewer extra\n`, 'tokens.txt:1: expected "TOKEN ROLE"'],
    ['unknown role', `${A} root\n`, 'tokens.txt:1: role must be viewer or admin'],
    ['short token', `\nshort viewer\n`, 'tokens.txt:2: token shorter than 16'],
    ['duplicate', `${A} viewer\n${A} admin\n`, 'tokens.txt:2: the same token appears twice'],
    ['empty file', `# nothing\n`, 'tokens.txt: holds no token'],
  ])('refuses %s with its line', (_name, text, message) => {
    expect(() => parseTokenFile(text, 'tokens.txt')).toThrow(InputError);
    expect(() => parseTokenFile(text, 'tokens.txt')).toThrow(message);
  });

  it('never quotes a token in an error', () => {
    const secret = 'S3cr3t-t0ken-value-xyz';
    try {
      parseTokenFile(`${secret} superuser\n`, 't');
      expect.unreachable();
    } catch (e) {
      expect(String(e)).not.toContain(secret);
    }
  });
});

describe('matchToken', () => {
  const entries = parseTokenFile(`${A} viewer\n${B} admin\n`, 't');
  it.each([
    [A, 'viewer'],
    [B, 'admin'],
    [`${A}x`, undefined],
    ['', undefined],
    [A.slice(1), undefined],
  ])('%s → %s', (presented, role) => {
    expect(matchToken(entries, presented)?.role).toBe(role);
  });
});

describe('SessionStore', () => {
  it('expires sessions after their time to live', () => {
    let t = 1000;
    const store = new SessionStore(() => t, 100);
    const s = store.create({ method: 'token', role: 'viewer', subject: 'token #1' });
    expect(store.get(s.id)?.role).toBe('viewer');
    t += 100;
    expect(store.get(s.id)).toBeUndefined();
  });

  it('holds at most max sessions, dropping the oldest', () => {
    const store = new SessionStore(() => 0, 1000, 3);
    const ids = Array.from(
      { length: 5 },
      () => store.create({ method: 'token', role: 'viewer', subject: 'x' }).id,
    );
    expect(store.size).toBe(3);
    expect(store.get(ids[0] ?? '')).toBeUndefined();
    expect(store.get(ids[4] ?? '')).toBeDefined();
  });

  it('gives every session its own id and CSRF token', () => {
    const store = new SessionStore(() => 0);
    const a = store.create({ method: 'token', role: 'viewer', subject: 'x' });
    const b = store.create({ method: 'token', role: 'viewer', subject: 'x' });
    expect(a.id).not.toBe(b.id);
    expect(a.csrf).not.toBe(a.id);
    expect(a.csrf).not.toBe(b.csrf);
  });
});
