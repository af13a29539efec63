import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { isPublicIPv4, parseIPv4 } from './ip.js';

describe('IPv4 fast path', () => {
  it.each([
    ['1.2.3.4', 0x01020304],
    ['255.255.255.255', 0xffffffff],
    ['0.0.0.0', 0],
    ['01.2.3.4', undefined],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['256.1.1.1', undefined],
    ['1..2.3', undefined],
    ['', undefined],
    ['::1', undefined],
  ])('parses %s', (s, want) => {
    expect(parseIPv4(s)).toBe(want);
  });

  it('agrees with ipaddr.js on which addresses are public, over every /8 and the edges of each special range', () => {
    const probes: string[] = [];
    for (let a = 0; a < 256; a++)
      probes.push(
        `${a}.0.0.0`,
        `${a}.255.255.255`,
        `${a}.64.1.1`,
        `${a}.168.0.1`,
        `${a}.16.0.1`,
        `${a}.31.255.255`,
        `${a}.32.0.0`,
      );
    probes.push(
      '100.63.255.255',
      '100.64.0.0',
      '100.127.255.255',
      '100.128.0.0',
      '198.17.255.255',
      '198.18.0.0',
      '198.19.255.255',
      '198.20.0.0',
    );
    probes.push(
      '192.0.1.255',
      '192.0.2.0',
      '192.0.3.0',
      '192.88.99.1',
      '203.0.113.9',
      '203.0.114.0',
      '169.254.1.1',
      '192.175.48.7',
      '192.52.193.1',
    );
    for (const p of probes) {
      const n = parseIPv4(p);
      expect(n, p).toBeDefined();
      expect(isPublicIPv4(n ?? 0), p).toBe(ipaddr.parse(p).range() === 'unicast');
    }
  });
});
