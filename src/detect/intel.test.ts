import { describe, expect, it } from 'vitest';
import { emptyEvent } from './event.js';
import { IntelIndex, inferIndicatorType, parseFeed } from './intel.js';

describe('indicator types', () => {
  it.each([
    ['203.0.113.7', 'ip'],
    ['2001:db8::1', 'ip'],
    ['203.0.113.0/24', 'cidr'],
    ['evil.example.com', 'domain'],
    ['https://evil.example.com/x', 'url'],
    ['sha256:' + 'a'.repeat(64), 'image-digest'],
    ['d41d8cd98f00b204e9800998ecf8427e', 'file-hash'],
    ['not an indicator', undefined],
    ['10.0.0.0/99', undefined],
  ])('%s is %s', (v, t) => {
    expect(inferIndicatorType(v)).toBe(t);
  });
});

function index(text: string, format?: 'list' | 'csv' | 'misp' | 'stix'): IntelIndex {
  const idx = new IntelIndex();
  const { indicators, issues } = parseFeed('feed', text, format);
  expect(issues).toEqual([]);
  for (const i of indicators) idx.add(i);
  return idx;
}

describe('matching', () => {
  const idx = index(
    '# bad\n198.51.100.7\n203.0.113.0/24\n203.0.113.128/25\n2001:db8:bad::/48\nevil.example\n',
  );

  it.each([
    ['198.51.100.7', ['198.51.100.7']],
    ['198.51.100.8', []],
    ['203.0.113.200', ['203.0.113.128/25']],
    ['203.0.113.5', ['203.0.113.0/24']],
    ['::ffff:198.51.100.7', ['198.51.100.7']],
    ['2001:db8:bad::1', ['2001:db8:bad::/48']],
    ['not-an-ip', []],
  ])('IP %s hits %j (most specific CIDR)', (ip, want) => {
    expect(idx.matchIP(ip).map((i) => i.value)).toEqual(want);
  });

  it.each([
    ['evil.example', true],
    ['c2.evil.example', true],
    ['EVIL.example.', true],
    ['notevil.example', false],
    ['example', false],
  ])('domain %s hit: %s', (d, hit) => {
    expect(idx.matchDomain(d) !== undefined).toBe(hit);
  });

  it('reads an IPv4 address the same by its number (fast path) as through the trie', () => {
    // Nested and overlapping networks of many lengths, a /0 and exact addresses inside them.
    const rows = ['0.0.0.0/0', '10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.128/25', '10.1.2.200'];
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * n);
    };
    for (let k = 0; k < 300; k++) {
      const len = 1 + rnd(32);
      // Host bits set on purpose: the first network of each prefix wins, as in the trie.
      rows.push(`10.${rnd(4)}.${rnd(8)}.${rnd(256)}/${len}`);
      rows.push(`10.${rnd(4)}.${rnd(8)}.${rnd(256)}`);
    }
    const wide = index(rows.join('\n'));
    let hits = 0;
    for (let k = 0; k < 3000; k++) {
      const ip = `10.${rnd(5)}.${rnd(9)}.${rnd(256)}`;
      const fast = wide.matchIP(ip).map((i) => i.value);
      expect(fast, ip).toEqual(wide.matchIP(`::ffff:${ip}`).map((i) => i.value));
      if (fast.length > 1) hits++;
    }
    expect(hits).toBeGreaterThan(10);
  });

  it('attaches hits to the event fields that matched', () => {
    const ev = emptyEvent('flow', 'hubble', 'f1');
    ev.network.dstIP = '203.0.113.9';
    ev.network.domain = 'x.evil.example';
    const hits = idx.matchEvent(ev);
    expect(hits.map((h) => [h.field, h.indicator])).toEqual([
      ['network.dstIP', '203.0.113.0/24'],
      ['network.domain', 'evil.example'],
    ]);
  });
});

describe('feed formats', () => {
  it('reads CSV with type, confidence and description', () => {
    const { indicators } = parseFeed(
      'c',
      'indicator,type,confidence,description\n"evil.example",domain,80,"C2, known"\n',
    );
    expect(indicators).toEqual([
      { type: 'domain', value: 'evil.example', feed: 'c', confidence: 80, description: 'C2, known' },
    ]);
  });

  it('reads MISP attributes of the supported types', () => {
    const misp = JSON.stringify({
      Event: {
        info: 'campaign',
        Attribute: [
          { type: 'ip-dst', value: '198.51.100.9' },
          { type: 'ip-dst|port', value: '198.51.100.10|4444' },
          { type: 'hostname', value: 'pool.bad.example' },
          { type: 'comment', value: 'ignored' },
        ],
      },
    });
    expect(parseFeed('m', misp).indicators.map((i) => `${i.type}:${i.value}`)).toEqual([
      'ip:198.51.100.9',
      'ip:198.51.100.10',
      'domain:pool.bad.example',
    ]);
  });

  it('reads STIX 2.1 indicators with simple patterns, OR-ed comparisons and revocation', () => {
    const stix = JSON.stringify({
      type: 'bundle',
      objects: [
        {
          type: 'indicator',
          pattern: "[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'bad.example']",
          confidence: 70,
          name: 'c2',
        },
        { type: 'indicator', pattern: "[file:hashes.'SHA-256' = '" + 'b'.repeat(64) + "']" },
        { type: 'indicator', revoked: true, pattern: "[ipv4-addr:value = '198.51.100.2']" },
        { type: 'malware', name: 'x' },
      ],
    });
    const { indicators } = parseFeed('s', stix);
    expect(indicators.map((i) => `${i.type}:${i.value}:${i.confidence}`)).toEqual([
      'ip:198.51.100.1:70',
      'domain:bad.example:70',
      `file-hash:${'b'.repeat(64)}:50`,
    ]);
  });

  it('reports lines it cannot read with their line number', () => {
    const { issues } = parseFeed('l', '198.51.100.1\n???\n');
    expect(issues).toEqual([{ feed: 'l', where: 'line 2', message: 'not a recognised indicator: ???' }]);
  });
});
