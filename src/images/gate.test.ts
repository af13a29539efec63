import { describe, expect, it } from 'vitest';
import {
  findingsOverThreshold,
  judgeImages,
  registryAllowed,
  type GateFinding,
  type ImageGatePolicy,
} from './gate.js';
import { parseImageReference } from './reference.js';
import { memoryImageFacts } from './testing.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

const critical: GateFinding = {
  id: 'CVE-2024-0001',
  severity: 'critical',
  cvss: 9.8,
  fixedVersion: '3.0.2',
  package: 'openssl@3.0.1',
};
const highNoFix: GateFinding = { id: 'CVE-2024-0002', severity: 'high', cvss: 7.5, package: 'zlib@1.2.13' };
const medium: GateFinding = {
  id: 'GHSA-xxxx',
  severity: 'medium',
  cvss: 5.3,
  fixedVersion: '1.3.1',
  package: 'left-pad@1.3.0',
};

const base: ImageGatePolicy = {
  allowedRegistries: [],
  action: 'deny',
  missingDigest: 'allow',
  unscanned: 'allow',
};

describe('registryAllowed', () => {
  it.each([
    ['registry.example.com/app:1', ['registry.example.com'], true],
    ['registry.example.com/app:1', ['registry.example.com/'], true],
    ['registry.example.com/team/app:1', ['registry.example.com/team'], true],
    ['registry.example.com/teamx/app:1', ['registry.example.com/team'], false],
    ['registry.example.com.evil.io/app:1', ['registry.example.com'], false],
    ['nginx', ['docker.io'], true],
    ['nginx', ['docker.io/library'], true],
    ['nginx', ['ghcr.io'], false],
    ['anything.io/x', [], true],
  ])('%s under %j: %s', (image, allowed, expected) => {
    expect(registryAllowed(parseImageReference(image), allowed)).toBe(expected);
  });
});

describe('findingsOverThreshold', () => {
  const all = [medium, highNoFix, critical];
  it.each([
    [{ maxSeverity: 'high' as const, fixableOnly: false }, ['CVE-2024-0001']],
    [{ maxSeverity: 'medium' as const, fixableOnly: false }, ['CVE-2024-0001', 'CVE-2024-0002']],
    [{ maxSeverity: 'medium' as const, fixableOnly: true }, ['CVE-2024-0001']],
    [{ maxSeverity: 'low' as const, fixableOnly: false }, ['CVE-2024-0001', 'CVE-2024-0002', 'GHSA-xxxx']],
    [{ maxCvss: 7.5, fixableOnly: false }, ['CVE-2024-0001']],
    [{ maxCvss: 5, fixableOnly: true }, ['CVE-2024-0001', 'GHSA-xxxx']],
    [{ maxSeverity: 'critical' as const, fixableOnly: false }, []],
  ])('%j', (threshold, ids) => {
    expect(findingsOverThreshold(all, threshold).map((f) => f.id)).toEqual(ids);
  });
});

describe('judgeImages', () => {
  const scanned = (digest: string, findings: GateFinding[]) => ({
    digest,
    ref: 'r',
    scannedAt: '2026-12-07T10:00:00.000Z',
    packages: 12,
    findings,
  });
  const use = (image: string) => [{ field: 'spec.containers[0].image', image }];

  it('refuses a registry outside the allowlist and judges nothing else of it', () => {
    const facts = memoryImageFacts();
    const v = judgeImages(
      use('evil.io/app@' + D1),
      { ...base, allowedRegistries: ['registry.example.com'] },
      facts,
    );
    expect(v.map((x) => [x.code, x.action])).toEqual([['image_registry_not_allowed', 'deny']]);
    expect(v[0]?.message).toContain('evil.io/app is not in allowedRegistries (registry.example.com)');
    expect(facts.seenRefs).toEqual([]);
  });

  it.each([
    ['allow' as const, []],
    ['warn' as const, [['image_digest_missing', 'warn']]],
    ['deny' as const, [['image_digest_missing', 'deny']]],
  ])('a tag-only image with missingDigest %s', (missingDigest, expected) => {
    const v = judgeImages(use('registry.example.com/app:1'), { ...base, missingDigest }, memoryImageFacts());
    expect(v.map((x) => [x.code, x.action])).toEqual(expected);
  });

  it('names the vulnerabilities over the threshold, most serious first', () => {
    const facts = memoryImageFacts({ scans: [scanned(D1, [medium, critical, highNoFix])] });
    const v = judgeImages(
      use(`registry.example.com/app@${D1}`),
      { ...base, vulnerabilities: { maxSeverity: 'medium', fixableOnly: false } },
      facts,
    );
    expect(v).toHaveLength(1);
    expect(v[0]?.code).toBe('image_vulnerable');
    expect(v[0]?.message).toBe(
      `image registry.example.com/app@${D1}: 2 vulnerabilities over maxSeverity medium (scan of 2026-12-07T10:00:00.000Z): CVE-2024-0001 (critical, CVSS 9.8) in openssl@3.0.1, fixed in 3.0.2; CVE-2024-0002 (high, CVSS 7.5) in zlib@1.2.13, no fix yet`,
    );
    expect(facts.seenRefs).toEqual([]);
  });

  it('admits a scanned image under the threshold', () => {
    const facts = memoryImageFacts({ scans: [scanned(D1, [medium])] });
    const v = judgeImages(
      use(`registry.example.com/app@${D1}`),
      { ...base, vulnerabilities: { maxSeverity: 'medium', fixableOnly: false }, unscanned: 'deny' },
      facts,
    );
    expect(v).toEqual([]);
  });

  it.each([
    ['allow' as const, []],
    ['warn' as const, [['image_unscanned', 'warn']]],
    ['deny' as const, [['image_unscanned', 'deny']]],
  ])('an unscanned digest with unscanned %s is announced to the job', (unscanned, expected) => {
    const facts = memoryImageFacts();
    const v = judgeImages(
      use(`registry.example.com/app@${D2}`),
      { ...base, unscanned, vulnerabilities: { maxSeverity: 'high', fixableOnly: false } },
      facts,
    );
    expect(v.map((x) => [x.code, x.action])).toEqual(expected);
    expect(facts.seenRefs).toEqual([`registry.example.com/app@${D2}`]);
  });

  it('a failed scan counts as unscanned, says why, and asks again', () => {
    const facts = memoryImageFacts({ scans: [{ ...scanned(D1, []), error: 'registry unreachable' }] });
    const v = judgeImages(use(`registry.example.com/app@${D1}`), { ...base, unscanned: 'deny' }, facts);
    expect(v[0]?.message).toContain('its last scan failed (registry unreachable)');
    expect(facts.seenRefs).toHaveLength(1);
  });

  it('a tag resolves through the digest the job recorded', () => {
    const facts = memoryImageFacts({
      scans: [scanned(D1, [critical])],
      tags: { 'registry.example.com/app:1': D1 },
    });
    const v = judgeImages(
      use('registry.example.com/app:1'),
      { ...base, vulnerabilities: { maxCvss: 9, fixableOnly: true } },
      facts,
    );
    expect(v.map((x) => x.code)).toEqual(['image_vulnerable']);
    expect(facts.seenRefs).toEqual([]);
  });

  it('signatures: unchecked, unsigned and signed', () => {
    const policy: ImageGatePolicy = { ...base, signatures: { policy: 'p1', unchecked: 'deny' } };
    const facts = memoryImageFacts({
      signatures: [
        { digest: D1, policy: 'p1', checkedAt: 't', verified: false, reason: 'no signature found' },
        { digest: D2, policy: 'p1', checkedAt: 't', verified: true, signer: 'key cosign.pub', reason: 'ok' },
        // A verdict under other rules is not used.
        { digest: D2, policy: 'p0', checkedAt: 't', verified: false, reason: 'old' },
      ],
    });
    expect(judgeImages(use(`r.io/a@${D1}`), policy, facts).map((x) => [x.code, x.message])).toEqual([
      ['image_unsigned', `image r.io/a@${D1}: no valid signature: no signature found`],
    ]);
    expect(judgeImages(use(`r.io/a@${D2}`), policy, facts)).toEqual([]);
    const unknown = `sha256:${'3'.repeat(64)}`;
    expect(judgeImages(use(`r.io/a@${unknown}`), policy, facts).map((x) => x.code)).toEqual([
      'image_signature_unchecked',
    ]);
    expect(facts.seenRefs).toEqual([`r.io/a@${unknown}`]);
  });

  it('an image reference that does not parse is refused', () => {
    const v = judgeImages(use('UPPER/Case::'), base, memoryImageFacts());
    expect(v.map((x) => [x.code, x.action])).toEqual([['image_reference_invalid', 'deny']]);
  });

  it('warn action turns violations into warnings', () => {
    const facts = memoryImageFacts({ scans: [scanned(D1, [critical])] });
    const v = judgeImages(
      use(`r.io/a@${D1}`),
      { ...base, action: 'warn', vulnerabilities: { maxSeverity: 'high', fixableOnly: false } },
      facts,
    );
    expect(v.map((x) => [x.code, x.action])).toEqual([['image_vulnerable', 'warn']]);
  });
});
