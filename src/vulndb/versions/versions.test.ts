import { describe, expect, it } from 'vitest';
import { ecosystemBase, versionSchemeFor } from './index.js';

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

describe('versionSchemeFor', () => {
  it.each([
    ['Debian:12', 'dpkg'],
    ['Ubuntu:22.04:LTS', 'dpkg'],
    ['Alpine:v3.19', 'apk'],
    ['Red Hat', 'rpm'],
    ['Rocky Linux:9', 'rpm'],
    ['npm', 'npm'],
    ['PyPI', 'pep440'],
    ['Go', 'go'],
    ['Maven', 'maven'],
    ['RubyGems', 'rubygems'],
    ['crates.io', 'semver'],
  ])('%s uses %s', (ecosystem, scheme) => {
    expect(versionSchemeFor(ecosystem)?.name).toBe(scheme);
  });

  it('knows no scheme for ecosystems it cannot order', () => {
    expect(versionSchemeFor('Hackage')).toBeUndefined();
    expect(ecosystemBase(' Debian:11 ')).toBe('debian');
  });
});

describe('comparators', () => {
  it.each([
    ['Debian:12', '3.0.11-1~deb12u2', '3.0.11-1', -1],
    ['Debian:12', '1:1.0', '2.0', 1],
    ['Alpine:v3.19', '3.1.4-r5', '3.1.4-r10', -1],
    ['Alpine:v3.19', '1.2.3_rc1', '1.2.3', -1],
    ['Alpine:v3.19', '1.2.3_p1', '1.2.3', 1],
    ['Red Hat', '1:1.0-1.el9', '2.0-1.el9', 1],
    ['Red Hat', '1.0~rc1-1', '1.0-1', -1],
    ['npm', '1.2.3-beta.2', '1.2.3-beta.11', -1],
    ['PyPI', '1.0.post1', '1.0', 1],
    ['PyPI', '1.0.dev1', '1.0a1', -1],
    ['PyPI', '2!1.0', '3.0', 1],
    ['Go', 'v1.2.3', '1.2.3', 0],
    ['Go', '0.0.0-20210101000000-abcdef123456', '0.1.0', -1],
    ['Go', '2.0.0+incompatible', '2.0.0', 0],
    ['Go', 'go1.21rc2', '1.21.0', -1],
    ['Go', 'go1.22.1', '1.22.0', 1],
    ['Maven', '1.0-SNAPSHOT', '1.0', -1],
    ['Maven', '2.17.0', '2.9.1', 1],
    ['Maven', '1.0.Final', '1.0', 0],
    ['RubyGems', '1.0.0.rc1', '1.0.0', -1],
    ['RubyGems', '3.10', '3.2', 1],
    ['crates.io', '0.10.0', '0.9.9', 1],
    ['crates.io', '1.0.0-alpha', '1.0.0', -1],
  ])('%s: %s vs %s is %i', (ecosystem, a, b, want) => {
    const scheme = versionSchemeFor(ecosystem);
    expect(scheme).toBeDefined();
    expect(sign(scheme?.compare(a, b) ?? NaN)).toBe(want);
    expect(sign(scheme?.compare(b, a) ?? NaN)).toBe(0 - want);
  });
});
