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
