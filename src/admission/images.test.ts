import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageFacts } from '../images/gate.js';
import { memoryImageFacts } from '../images/testing.js';
import { compileAdmissionConfig, parseAdmissionConfig, type CompiledAdmissionConfig } from './config.js';
import { decide, type DecideResult } from './decide.js';
import { deploymentOf, podOf, reviewOf } from './testing.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const VULNERABLE = `registry.example.com/shop/api@${D1}`;
const CLEAN = `registry.example.com/shop/api@${D2}`;

function facts(): ImageFacts & { seenRefs: string[] } {
  return memoryImageFacts({
    scans: [
      {
        digest: D1,
        ref: VULNERABLE,
        scannedAt: '2026-12-07T10:00:00.000Z',
        packages: 40,
        findings: [
          {
            id: 'CVE-2024-5535',
            severity: 'critical',
            cvss: 9.1,
            fixedVersion: '3.0.14-1~deb12u2',
            package: 'openssl@3.0.11-1~deb12u2',
          },
        ],
      },
      { digest: D2, ref: CLEAN, scannedAt: '2026-12-07T10:00:00.000Z', packages: 40, findings: [] },
    ],
  });
}

function compile(images: Record<string, unknown>, imageFacts: ImageFacts = facts()): CompiledAdmissionConfig {
  const parsed = parseAdmissionConfig({
    apiVersion: 'palisade.dev/v1',
    kind: 'AdmissionConfiguration',
    defaults: { enforce: 'none' },
    exemptions: { namespaces: ['ops'] },
    images,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const compiled = compileAdmissionConfig(parsed.value, { imageFacts });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  return compiled.value;
}

function answered(r: DecideResult): Extract<DecideResult, { ok: true }> {
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r;
}

const threshold = { vulnerabilities: { maxSeverity: 'high' }, unscanned: 'deny' };

describe('image rules in the admission decision', () => {
  it('refuses a pod whose image’s last scan is over the threshold, naming the vulnerability', () => {
    const r = answered(
      decide(reviewOf(podOf('api', { namespace: 'shop', image: VULNERABLE })), compile(threshold)),
    );
    const res = r.review.response;
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toContain(
      `palisade denied CREATE of Pod shop/api: image_vulnerable (spec.containers[0].image): image ${VULNERABLE}: 1 vulnerability over maxSeverity high`,
    );
    expect(res.status?.message).toContain(
      'CVE-2024-5535 (critical, CVSS 9.1) in openssl@3.0.11-1~deb12u2, fixed in 3.0.14-1~deb12u2',
    );
    expect(r.record.result).toBe('deny');
    expect(r.record.violations.map((v) => [v.controlId, v.mode, v.level])).toEqual([
      ['image_vulnerable', 'enforce', 'images'],
    ]);
  });

  it('admits the clean digest', () => {
    const r = answered(
      decide(reviewOf(podOf('api', { namespace: 'shop', image: CLEAN })), compile(threshold)),
    );
    expect(r.review.response.allowed).toBe(true);
    expect(r.record.result).toBe('allow');
  });

  it('judges a Deployment’s pod template, with its field path', () => {
    const r = answered(
      decide(reviewOf(deploymentOf('api', { namespace: 'shop', image: VULNERABLE })), compile(threshold)),
    );
    expect(r.review.response.allowed).toBe(false);
    expect(r.review.response.status?.message).toContain(
      'image_vulnerable (spec.template.spec.containers[0].image)',
    );
  });

  it('with action warn, admits with a warning', () => {
    const r = answered(
      decide(
        reviewOf(podOf('api', { namespace: 'shop', image: VULNERABLE })),
        compile({ ...threshold, action: 'warn' }),
      ),
    );
    expect(r.review.response.allowed).toBe(true);
    expect(r.review.response.warnings?.[0]).toMatch(
      /^image_vulnerable \(spec\.containers\[0\]\.image\): .*CVE-2024-5535/,
    );
    expect(r.record.result).toBe('warn');
  });

  it('an unscanned digest follows unscanned and is handed to the background job', () => {
    const f = facts();
    const unknown = `registry.example.com/shop/api@sha256:${'9'.repeat(64)}`;
    const r = answered(
      decide(reviewOf(podOf('api', { namespace: 'shop', image: unknown })), compile(threshold, f)),
    );
    expect(r.review.response.allowed).toBe(false);
    expect(r.review.response.status?.message).toContain('image_unscanned');
    expect(f.seenRefs).toEqual([unknown]);
  });

  it('an UPDATE that keeps the image is not judged again; one that changes it is', () => {
    const config = compile(threshold);
    const old = podOf('api', { namespace: 'shop', image: VULNERABLE });
    const relabelled = { ...old, metadata: { ...old.metadata, labels: { app: 'api', tier: 'web' } } };
    expect(
      answered(decide(reviewOf(relabelled, { operation: 'UPDATE', oldObject: old }), config)).review.response
        .allowed,
    ).toBe(true);
    const before = podOf('api', { namespace: 'shop', image: CLEAN });
    expect(
      answered(decide(reviewOf(old, { operation: 'UPDATE', oldObject: before }), config)).review.response
        .allowed,
    ).toBe(false);
  });

  it('exempt namespaces are not judged; DELETE is not judged', () => {
    const config = compile(threshold);
    expect(
      answered(decide(reviewOf(podOf('api', { namespace: 'ops', image: VULNERABLE })), config)).review
        .response.allowed,
    ).toBe(true);
    expect(
      answered(
        decide(
          reviewOf(null, {
            operation: 'DELETE',
            oldObject: podOf('api', { namespace: 'shop', image: VULNERABLE }),
          }),
          config,
        ),
      ).review.response.allowed,
    ).toBe(true);
  });

  it('facts that cannot be read fail per failurePolicy, never admit silently', () => {
    const broken: ImageFacts = {
      ...facts(),
      scanOf: () => {
        throw new Error('SQLITE_CANTOPEN: unable to open database file');
      },
    };
    const r = answered(
      decide(reviewOf(podOf('api', { namespace: 'shop', image: CLEAN })), compile(threshold, broken)),
    );
    expect(r.review.response.allowed).toBe(false);
    expect(r.review.response.status?.message).toContain(
      'image rules could not be evaluated: SQLITE_CANTOPEN: unable to open database file',
    );
    expect(r.record.errors.map((e) => [e.id, e.failurePolicy])).toEqual([['(image rules)', 'Fail']]);
  });

  it('registry allowlist and missing digest', () => {
    const config = compile({ allowedRegistries: ['registry.example.com/shop'], missingDigest: 'deny' });
    const other = answered(
      decide(reviewOf(podOf('api', { namespace: 'shop', image: 'docker.io/library/nginx@' + D2 })), config),
    );
    expect(other.review.response.status?.message).toContain('image_registry_not_allowed');
    const tagged = answered(
      decide(
        reviewOf(podOf('api', { namespace: 'shop', image: 'registry.example.com/shop/api:1.4' })),
        config,
      ),
    );
    expect(tagged.review.response.status?.message).toContain('image_digest_missing');
    const pinned = answered(decide(reviewOf(podOf('api', { namespace: 'shop', image: CLEAN })), config));
    expect(pinned.review.response.allowed).toBe(true);
  });
});

describe('images: configuration', () => {
  function issues(images: unknown): string[] {
    const parsed = parseAdmissionConfig({
      apiVersion: 'palisade.dev/v1',
      kind: 'AdmissionConfiguration',
      images,
    });
    return parsed.ok ? [] : parsed.error.map((i) => `${i.path}: ${i.message}`);
  }

  it.each([
    [{ vulnerabilities: {} }, 'images.vulnerabilities: set maxSeverity, maxCvss or both'],
    [{ vulnerabilities: { maxSeverity: 'severe' } }, 'images.vulnerabilities.maxSeverity'],
    [{ vulnerabilities: { maxCvss: 11 } }, 'images.vulnerabilities.maxCvss'],
    [{ unscanned: 'maybe' }, 'images.unscanned'],
    [{ signatures: {} }, 'images.signatures: name at least one public key'],
    [
      { signatures: { identities: [{ issuer: 'https://accounts.example.com', subject: '^ci@' }] } },
      'images.signatures.trustedRoot: keyless identities need a trusted root',
    ],
    [
      { signatures: { trustedRoot: 'root.json', identities: [{ issuer: 'i', subject: '(' }] } },
      'images.signatures.identities[0].subject: not a regular expression',
    ],
    [{ allowedRegistries: [''] }, 'images.allowedRegistries[0]'],
    [{ registri: [] }, 'images'],
  ])('%j is refused', (images, expected) => {
    expect(issues(images).join('\n')).toContain(expected);
  });

  it('a missing verdict store or key file fails at compile time with its path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'palisade-images-config-'));
    try {
      const parsed = parseAdmissionConfig({
        apiVersion: 'palisade.dev/v1',
        kind: 'AdmissionConfiguration',
        images: { store: path.join(dir, 'absent.sqlite') },
      });
      if (!parsed.ok) throw new Error('parse');
      const compiled = compileAdmissionConfig(parsed.value);
      expect(compiled.ok ? [] : compiled.error.map((i) => i.path)).toEqual(['images.store']);
      writeFileSync(path.join(dir, 'k.pub'), 'x');
      const withKey = parseAdmissionConfig({
        apiVersion: 'palisade.dev/v1',
        kind: 'AdmissionConfiguration',
        images: { signatures: { keys: [path.join(dir, 'missing.pub')] } },
      });
      if (!withKey.ok) throw new Error('parse');
      const c2 = compileAdmissionConfig(withKey.value, { imageFacts: memoryImageFacts() });
      expect(c2.ok ? '' : c2.error[0]?.message).toMatch(/cannot read a key or trust root/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
