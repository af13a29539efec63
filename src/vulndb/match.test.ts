import { describe, expect, it } from 'vitest';
import { evaluateAffected, inRange } from './affected.js';
import { cvssBaseScore } from './cvss.js';
import { matchPackages, memoryVulnSource } from './match.js';
import { parseOsvRecord, type OsvRecord, type OsvRange } from './osv.js';
import { affectedRange, catalogPackage, osvJson } from './testing.js';
import { parseVexDocument } from './vex.js';
import { versionSchemeFor } from './versions/index.js';

function rec(json: Record<string, unknown>): OsvRecord {
  const r = parseOsvRecord(json);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const npm = versionSchemeFor('npm');
if (npm === undefined) throw new Error('no npm scheme');

describe('inRange (OSV event semantics)', () => {
  const r = (events: Record<string, string>[], type: OsvRange['type'] = 'ECOSYSTEM'): OsvRange => ({
    type,
    events,
  });
  it.each([
    ['introduced 0, fixed 1.2.0', [{ introduced: '0' }, { fixed: '1.2.0' }], '1.1.9', true],
    ['introduced 0, fixed 1.2.0 (at fix)', [{ introduced: '0' }, { fixed: '1.2.0' }], '1.2.0', false],
    ['introduced 1.0.0 (before)', [{ introduced: '1.0.0' }, { fixed: '1.2.0' }], '0.9.0', false],
    ['introduced 1.0.0 (at)', [{ introduced: '1.0.0' }], '1.0.0', true],
    ['last_affected (at)', [{ introduced: '0' }, { last_affected: '1.4.0' }], '1.4.0', true],
    ['last_affected (after)', [{ introduced: '0' }, { last_affected: '1.4.0' }], '1.4.1', false],
    [
      'two windows, in the second',
      [{ introduced: '1.0.0' }, { fixed: '1.1.0' }, { introduced: '2.0.0' }, { fixed: '2.2.0' }],
      '2.1.0',
      true,
    ],
    [
      'two windows, between',
      [{ introduced: '1.0.0' }, { fixed: '1.1.0' }, { introduced: '2.0.0' }, { fixed: '2.2.0' }],
      '1.5.0',
      false,
    ],
    ['events out of order', [{ fixed: '2.2.0' }, { introduced: '2.0.0' }], '2.1.0', true],
    ['limit caps', [{ introduced: '0' }, { limit: '1.5.0' }], '1.6.0', false],
    ['limit below', [{ introduced: '0' }, { limit: '1.5.0' }], '1.4.0', true],
    ['pre-release before fix', [{ introduced: '0' }, { fixed: '2.0.0' }], '2.0.0-rc.1', true],
  ])('%s: %s', (_name, events, version, want) => {
    expect(inRange(version, r(events), npm)).toBe(want);
  });

  it('SEMVER ranges use semantic versions whatever the ecosystem', () => {
    const maven = versionSchemeFor('Maven');
    if (maven === undefined) throw new Error('no maven');
    expect(inRange('1.0.0-rc.1', r([{ introduced: '0' }, { fixed: '1.0.0' }], 'SEMVER'), maven)).toBe(true);
  });

  it('lists fixed versions above the installed one and flags GIT ranges', () => {
    const res = evaluateAffected(
      '1.5.0',
      {
        ranges: [
          {
            type: 'ECOSYSTEM',
            events: [
              { introduced: '1.0.0' },
              { fixed: '1.6.0' },
              { introduced: '2.0.0' },
              { fixed: '2.1.0' },
            ],
          },
          { type: 'GIT', events: [{ introduced: 'abc' }, { fixed: 'def' }] },
        ],
      },
      npm,
    );
    expect(res).toEqual({ affected: true, fixed: ['1.6.0', '2.1.0'], gitIgnored: true });
    expect(evaluateAffected('3.0.0', { versions: ['3.0.0'] }, npm).affected).toBe(true);
  });
});

describe('parseOsvRecord', () => {
  it.each([
    [{ id: 'X-1' }, 'record X-1: modified: expected a string'],
    [osvJson({ id: 'X-2', affected: {} }), 'record X-2: affected: expected an array'],
    [
      osvJson({ id: 'X-3', affected: [affectedRange('npm', 'a', [{ introduced: '0', fixed: '1' }])] }),
      'record X-3: affected[0].ranges[0].events[0]: expected exactly one of introduced, fixed, last_affected, limit',
    ],
    [
      osvJson({ id: 'X-4', affected: [affectedRange('npm', 'a', [{ fixed: '1' }])] }),
      'record X-4: affected[0].ranges[0].events: no introduced event',
    ],
    [
      osvJson({ id: 'X-5', affected: [{ package: { ecosystem: 'npm' } }] }),
      'record X-5: affected[0].package.name: expected a string',
    ],
    [[], 'expected a JSON object'],
  ])('rejects %j', (json, message) => {
    const r = parseOsvRecord(json);
    expect(r.ok ? 'accepted' : r.error).toBe(message);
  });
});

describe('cvssBaseScore', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N', 6.5],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
    ['CVSS:3.1/AV:N', undefined],
    ['CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', undefined],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', undefined],
  ])('%s → %s', (vector, score) => {
    expect(cvssBaseScore(vector, 'T')?.baseScore).toBe(score);
  });
});

describe('matchPackages', () => {
  const ghsa = rec(
    osvJson({
      id: 'GHSA-aaaa-bbbb-cccc',
      aliases: ['CVE-2026-1000'],
      summary: 'Prototype pollution in left-pad',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      database_specific: { severity: 'CRITICAL' },
      affected: [affectedRange('npm', 'left-pad', [{ introduced: '0' }, { fixed: '1.3.1' }])],
    }),
  );
  const cve = rec(
    osvJson({
      id: 'CVE-2026-1000',
      details: 'The same flaw, from the CVE feed.\nMore.',
      affected: [affectedRange('npm', 'left-pad', [{ introduced: '1.0.0' }, { fixed: '1.3.1' }])],
    }),
  );
  const withdrawn = rec(
    osvJson({
      id: 'GHSA-dead-dead-dead',
      withdrawn: '2026-11-02T00:00:00Z',
      affected: [affectedRange('npm', 'left-pad', [{ introduced: '0' }])],
    }),
  );
  const unfixed = rec(
    osvJson({
      id: 'GHSA-unfx-unfx-unfx',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N' }],
      affected: [affectedRange('npm', 'left-pad', [{ introduced: '0' }])],
    }),
  );
  const debian = rec(
    osvJson({
      id: 'DEBIAN-CVE-2026-2000',
      upstream: ['CVE-2026-2000'],
      summary: 'openssl: buffer overread',
      affected: [
        affectedRange('Debian:12', 'openssl', [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }], {
          ecosystem_specific: { urgency: 'low' },
        }),
      ],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    }),
  );
  const source = memoryVulnSource([ghsa, cve, withdrawn, unfixed, debian]);
  const leftPad = catalogPackage('npm', 'left-pad', '1.3.0');

  it('merges aliases into one finding with CVSS, fixed version and location', () => {
    const found = matchPackages(source, [leftPad]);
    expect(found.map((f) => [f.id, f.severity, f.fixedVersions])).toEqual([
      ['CVE-2026-1000', 'critical', ['1.3.1']],
      ['GHSA-unfx-unfx-unfx', 'low', []],
    ]);
    const f = found[0];
    expect(f?.ids).toEqual(['CVE-2026-1000', 'GHSA-aaaa-bbbb-cccc']);
    expect(f?.records).toEqual(['CVE-2026-1000', 'GHSA-aaaa-bbbb-cccc']);
    expect(f?.cvssScore).toBe(9.8);
    expect(f?.summary).toBe('Prototype pollution in left-pad');
    expect(f?.package.location).toEqual({ path: '/var/lib/dpkg/status', layerDigest: 'sha256:aaaa' });
    expect(f?.suppressed).toBe(false);
  });

  it('leaves out fixed versions, withdrawn records and unfixed ones on request', () => {
    expect(matchPackages(source, [catalogPackage('npm', 'left-pad', '1.3.1')]).map((f) => f.id)).toEqual([
      'GHSA-unfx-unfx-unfx',
    ]);
    expect(matchPackages(source, [leftPad], { ignoreUnfixed: true }).map((f) => f.id)).toEqual([
      'CVE-2026-1000',
    ]);
  });

  it('matches distro records on the source package and prefers the distro rating', () => {
    const libssl = catalogPackage('Debian:12', 'libssl3', '3.0.11-1~deb12u2', {
      source: { name: 'openssl', version: '3.0.11-1~deb12u2' },
    });
    const [f] = matchPackages(source, [libssl]);
    expect(f?.id).toBe('CVE-2026-2000');
    expect(f?.matchedOn).toEqual({
      ecosystem: 'Debian:12',
      name: 'openssl',
      version: '3.0.11-1~deb12u2',
      via: 'source',
    });
    expect([f?.severity, f?.severitySource, f?.distroSeverity, f?.cvssScore]).toEqual([
      'low',
      'distro',
      'low',
      9.8,
    ]);
    expect(f?.fixedVersions).toEqual(['3.0.15-1~deb12u1']);
    expect(
      matchPackages(source, [
        { ...libssl, version: '3.0.15-1~deb12u1', source: { name: 'openssl', version: '3.0.15-1~deb12u1' } },
      ]),
    ).toEqual([]);
  });

  it('keeps a VEX not_affected finding as suppressed with its justification', () => {
    const openvex = parseVexDocument(
      {
        '@context': 'https://openvex.dev/ns/v0.2.0',
        timestamp: '2026-11-03T00:00:00Z',
        statements: [
          {
            vulnerability: { name: 'GHSA-aaaa-bbbb-cccc' },
            products: [{ '@id': 'pkg:oci/app@sha256:1', subcomponents: [{ '@id': 'pkg:npm/left-pad' }] }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      },
      'app.openvex.json',
    );
    if (!openvex.ok) throw new Error(openvex.error);
    const found = matchPackages(source, [leftPad], { vex: openvex.value });
    const f = found.find((x) => x.id === 'CVE-2026-1000');
    expect(f?.suppressed).toBe(true);
    expect(f?.vex).toEqual({
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      source: 'app.openvex.json#statements[0]',
    });
    expect(found.find((x) => x.id === 'GHSA-unfx-unfx-unfx')?.suppressed).toBe(false);
  });

  it('reads CycloneDX VEX: false_positive suppresses, exploitable does not', () => {
    const cdx = parseVexDocument(
      {
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        components: [{ 'bom-ref': 'lp', purl: 'pkg:npm/left-pad@1.3.0' }],
        vulnerabilities: [
          {
            id: 'CVE-2026-1000',
            analysis: { state: 'false_positive', detail: 'not reachable' },
            affects: [{ ref: 'lp' }],
          },
          {
            id: 'GHSA-unfx-unfx-unfx',
            analysis: { state: 'exploitable' },
            affects: [{ ref: 'pkg:npm/left-pad@1.3.0' }],
          },
        ],
      },
      'vex.cdx.json',
    );
    if (!cdx.ok) throw new Error(cdx.error);
    const found = matchPackages(source, [leftPad], { vex: cdx.value });
    expect(found.map((f) => [f.id, f.suppressed, f.vex?.justification])).toEqual([
      ['CVE-2026-1000', true, 'false_positive'],
      ['GHSA-unfx-unfx-unfx', false, undefined],
    ]);
    expect(parseVexDocument({ statements: [] }, 'x.json')).toEqual({
      ok: false,
      error: 'x.json: neither OpenVEX (@context openvex) nor CycloneDX (bomFormat) VEX',
    });
  });

  it('normalises PyPI names and ignores ecosystems it cannot order', () => {
    const py = rec(
      osvJson({
        id: 'PYSEC-1',
        affected: [affectedRange('PyPI', 'Django_Rest.Framework', [{ introduced: '0' }, { fixed: '3.0' }])],
      }),
    );
    const src = memoryVulnSource([py]);
    expect(
      matchPackages(src, [catalogPackage('PyPI', 'django-rest-framework', '2.9')]).map((f) => f.id),
    ).toEqual(['PYSEC-1']);
    expect(matchPackages(src, [catalogPackage('Hackage', 'x', '1')])).toEqual([]);
  });
});
