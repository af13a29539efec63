import { describe, expect, it } from 'vitest';
import { parseTime } from './time.js';

describe('parseTime', () => {
  it.each([
    '2026-12-07T10:00:00Z',
    '2026-12-07T10:00:00.5Z',
    '2026-12-07T10:00:00.123Z',
    '2026-12-07T10:00:00.123456789Z',
    '2026-12-07T10:00:00+02:00',
    '2026-12-07T10:00:00.25-05:30',
    '2024-02-29T23:59:59Z',
    '2023-02-29T00:00:00Z',
    '2026-01-31T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '1969-12-31T23:59:59.999Z',
    '0001-01-01T00:00:00Z',
    '2000-03-01T00:00:00Z',
    '2100-03-01T00:00:00Z',
    '2026-12-07T24:00:00Z',
    '2026-12-07T10:60:00Z',
    '2026-13-07T10:00:00Z',
    '2026-00-07T10:00:00Z',
    '2026-12-07T10:00:00.Z',
    '2026-12-07T10:00:00',
    '2026-12-07 10:00:00Z',
    '2026-12-07T10:00:00z',
    '2026-12-07T10:00:00+0200',
    '2026-12-07T10:00:00+24:00',
    '2026-12-07T10:00:00ZZ',
    '2026-12-07',
    '',
    'yesterday',
    '2O26-12-07T10:00:00Z',
  ])('%s as Date.parse reads it', (s) => {
    expect(parseTime(s)).toEqual(Date.parse(s));
  });

  it('agrees with Date.parse on random times from year 1 to 9999', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const pad = (n: number, w: number): string => String(n).padStart(w, '0');
    for (let k = 0; k < 5000; k++) {
      const ms = Math.floor(rnd() * 315_537_897_600_000) - 62_135_596_800_000;
      const iso = new Date(ms).toISOString();
      const off = Math.floor(rnd() * 48) - 24;
      const local = new Date(ms + off * 1_800_000).toISOString().slice(0, 19);
      const zone = `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 2), 2)}:${Math.abs(off) % 2 === 0 ? '00' : '30'}`;
      for (const s of [iso, `${local}${zone}`, iso.replace('Z', '123Z')])
        expect(parseTime(s), s).toEqual(Date.parse(s));
    }
  });
});
