import { describe, expect, it } from 'vitest';
import {
  COSIGN_REKOR_ANNOTATION,
  COSIGN_SIGNATURE_ANNOTATION,
  loadSignatureRules,
  verifyImageSignatures,
  type SignatureCandidate,
} from './signatures.js';
import {
  bundleSignWithKey,
  cosignSignWithKey,
  createTestSigstore,
  generateSigningKey,
} from './signing-testing.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const OTHER = `sha256:${'d'.repeat(64)}`;
const REPO = '127.0.0.1:5000/shop/api';

describe('cosign signatures with keys', () => {
  const signer = generateSigningKey();
  const stranger = generateSigningKey();
  const rules = loadSignatureRules({ keys: [{ name: 'cosign.pub', pem: signer.publicPem }], identities: [] });

  it('verifies a signature by a configured key', () => {
    const out = verifyImageSignatures([cosignSignWithKey(REPO, DIGEST, signer.privateKey)], DIGEST, rules);
    expect(out).toEqual({ verified: true, signer: 'key cosign.pub', reason: 'signed by key cosign.pub' });
  });

  it.each<[string, () => SignatureCandidate[], string, RegExp]>([
    ['no signature at all', () => [], DIGEST, /^no signature found$/],
    [
      'a key nobody configured',
      () => [cosignSignWithKey(REPO, DIGEST, stranger.privateKey)],
      DIGEST,
      /does not match any configured key/,
    ],
    [
      'a signature of another image',
      () => [cosignSignWithKey(REPO, OTHER, signer.privateKey)],
      DIGEST,
      /payload names sha256:d{64}, not sha256:c{64}/,
    ],
    [
      'a payload changed after signing',
      () => {
        const c = cosignSignWithKey(REPO, DIGEST, signer.privateKey);
        if (c.kind !== 'cosign') throw new Error('kind');
        const tampered = Buffer.from(
          c.payload.toString('utf8').replace('"optional":null', '"optional":{"x":1}'),
        );
        return [{ ...c, payload: tampered }];
      },
      DIGEST,
      /does not match any configured key/,
    ],
    [
      'a signature with a flipped byte',
      () => {
        const c = cosignSignWithKey(REPO, DIGEST, signer.privateKey);
        if (c.kind !== 'cosign') throw new Error('kind');
        const sig = Buffer.from(c.annotations[COSIGN_SIGNATURE_ANNOTATION] ?? '', 'base64');
        sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
        return [{ ...c, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: sig.toString('base64') } }];
      },
      DIGEST,
      /does not match any configured key/,
    ],
    [
      'garbage instead of a payload',
      () => [
        { kind: 'cosign', payload: Buffer.from('{'), annotations: { [COSIGN_SIGNATURE_ANNOTATION]: 'AA==' } },
      ],
      DIGEST,
      /names no image/,
    ],
  ])('refuses %s', (_name, candidates, digest, reason) => {
    const out = verifyImageSignatures(candidates(), digest, rules);
    expect(out.verified).toBe(false);
    expect(out.reason).toMatch(reason);
  });

  it('one valid signature among invalid ones is enough', () => {
    const out = verifyImageSignatures(
      [
        cosignSignWithKey(REPO, DIGEST, stranger.privateKey),
        cosignSignWithKey(REPO, DIGEST, signer.privateKey),
      ],
      DIGEST,
      rules,
    );
    expect(out.verified).toBe(true);
  });

  it('bad key material is an input error naming the file', () => {
    expect(() => loadSignatureRules({ keys: [{ name: 'bad.pub', pem: 'nope' }], identities: [] })).toThrow(
      /^bad\.pub: not a PEM public key/,
    );
  });
});

describe('Sigstore bundles with keys', () => {
  const signer = generateSigningKey();
  const rules = loadSignatureRules({
    keys: [{ name: 'release.pub', pem: signer.publicPem }],
    identities: [],
  });

  it('verifies a DSSE bundle naming the image', () => {
    const out = verifyImageSignatures(
      [{ kind: 'bundle', json: bundleSignWithKey(DIGEST, signer.privateKey) }],
      DIGEST,
      rules,
    );
    expect(out).toMatchObject({ verified: true, signer: 'key release.pub' });
  });

  it('refuses a bundle about another image, by another key, or with its statement changed', () => {
    const other = verifyImageSignatures(
      [{ kind: 'bundle', json: bundleSignWithKey(OTHER, signer.privateKey) }],
      DIGEST,
      rules,
    );
    expect(other.reason).toMatch(/statement does not name sha256:c{64}/);
    const stranger = generateSigningKey();
    const wrongKey = verifyImageSignatures(
      [{ kind: 'bundle', json: bundleSignWithKey(DIGEST, stranger.privateKey) }],
      DIGEST,
      rules,
    );
    expect(wrongKey.reason).toMatch(/does not match any configured key/);
    const doc = JSON.parse(bundleSignWithKey(OTHER, signer.privateKey)) as {
      dsseEnvelope: { payload: string };
    };
    doc.dsseEnvelope.payload = Buffer.from(
      Buffer.from(doc.dsseEnvelope.payload, 'base64')
        .toString('utf8')
        .replace('d'.repeat(64), 'c'.repeat(64)),
    ).toString('base64');
    const tampered = verifyImageSignatures([{ kind: 'bundle', json: JSON.stringify(doc) }], DIGEST, rules);
    expect(tampered.verified).toBe(false);
    expect(tampered.reason).toMatch(/does not match any configured key/);
    const junk = verifyImageSignatures([{ kind: 'bundle', json: '{"mediaType":"x"}' }], DIGEST, rules);
    expect(junk.reason).toMatch(/not a Sigstore bundle/);
  });
});

describe('keyless cosign signatures against an offline trusted root', () => {
  it('verifies the identity, and refuses other identities, other roots and tampering', async () => {
    const sigstore = await createTestSigstore();
    const issuer = 'https://token.actions.example.com';
    const rules = loadSignatureRules({
      keys: [],
      trustedRoot: { name: 'trusted_root.json', json: sigstore.trustedRootJson },
      identities: [{ issuer, subject: '^release@acme\\.example$' }],
      ctlogThreshold: 0,
    });
    const good = await sigstore.signKeyless(REPO, DIGEST, { subject: 'release@acme.example', issuer });
    expect(verifyImageSignatures([good], DIGEST, rules)).toMatchObject({
      verified: true,
      signer: `release@acme.example (issuer ${issuer})`,
    });

    const intruder = await sigstore.signKeyless(REPO, DIGEST, { subject: 'intern@acme.example', issuer });
    expect(verifyImageSignatures([intruder], DIGEST, rules).reason).toMatch(
      /signer intern@acme\.example \(issuer https:\/\/token\.actions\.example\.com\) is not an accepted identity/,
    );
    const otherIssuer = await sigstore.signKeyless(REPO, DIGEST, {
      subject: 'release@acme.example',
      issuer: 'https://evil.example',
    });
    expect(verifyImageSignatures([otherIssuer], DIGEST, rules).verified).toBe(false);

    // The same signature under a trust root that does not know its CA or log.
    const elsewhere = await createTestSigstore();
    const otherRules = loadSignatureRules({
      keys: [],
      trustedRoot: { name: 'other.json', json: elsewhere.trustedRootJson },
      identities: [{ issuer, subject: '.*' }],
      ctlogThreshold: 0,
    });
    expect(verifyImageSignatures([good], DIGEST, otherRules).reason).toMatch(/keyless signature not valid/);

    if (good.kind !== 'cosign') throw new Error('kind');
    const noLog = { ...good, annotations: { ...good.annotations, [COSIGN_REKOR_ANNOTATION]: '' } };
    expect(verifyImageSignatures([noLog], DIGEST, rules).reason).toMatch(/keyless signature not valid/);
    const tampered = {
      ...good,
      payload: Buffer.from(good.payload.toString('utf8').replace('"optional":null', '"optional":{}')),
    };
    expect(verifyImageSignatures([tampered], DIGEST, rules).verified).toBe(false);
    // Without a trusted root, a keyless signature cannot be accepted.
    const keysOnly = loadSignatureRules({
      keys: [{ name: 'k', pem: generateSigningKey().publicPem }],
      identities: [],
    });
    expect(verifyImageSignatures([good], DIGEST, keysOnly).reason).toMatch(/no trusted root and identities/);
  });
});
