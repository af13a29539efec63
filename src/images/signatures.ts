/**
 * Image signatures, verified offline. Two shapes are read:
 *
 * - cosign signatures: the image `REPO:sha256-<hex>.sig` holds one layer per signature whose
 *   blob is the simple-signing payload (`critical.image.docker-manifest-digest` names the image)
 *   and whose annotations carry the signature (`dev.cosignproject.cosign/signature`) and, for
 *   keyless signatures, the signing certificate, its chain and the transparency-log entry
 *   (`dev.sigstore.cosign/certificate|chain|bundle`).
 * - Sigstore bundles (`application/vnd.dev.sigstore.bundle…+json`) whose DSSE envelope holds an
 *   in-toto statement naming the image digest as a subject.
 *
 * A signature by a configured public key (PEM) is checked with node:crypto. A keyless signature
 * (a certificate) goes through @sigstore/verify against an offline trusted root: the chain to a
 * trusted CA at the time the transparency log recorded it, the log's promise, the signature,
 * then the signer's OIDC issuer (exact) and subject (regular expression) against the configured
 * identities. Nothing here does I/O: the registry side (signature-fetch.ts) hands the pieces in.
 */
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { assertBundle, bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { InputError } from '../core/index.js';

/** Annotation of a cosign signature layer holding the base64 signature. */
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** Annotation holding the PEM signing certificate of a keyless cosign signature. */
export const COSIGN_CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
/** Annotation holding the PEM chain of that certificate. */
export const COSIGN_CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
/** Annotation holding the transparency-log entry (Rekor bundle) of a cosign signature. */
export const COSIGN_REKOR_ANNOTATION = 'dev.sigstore.cosign/bundle';
/** Media type of a simple-signing payload layer. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';

/** One accepted keyless signer. */
export interface KeylessIdentity {
  issuer: string;
  subject: RegExp;
}

/** The signature rules with their key material loaded. */
export interface SignatureRules {
  keys: readonly { name: string; key: KeyObject }[];
  identities: readonly KeylessIdentity[];
  /** Set when keyless identities are configured. */
  trust?: TrustMaterial;
  tlogThreshold: number;
  ctlogThreshold: number;
}

/** Loads the rules: PEM public keys by name, a trusted_root.json document. Bad material is an InputError. */
export function loadSignatureRules(input: {
  keys: readonly { name: string; pem: string }[];
  trustedRoot?: { name: string; json: string };
  identities: readonly { issuer: string; subject: string }[];
  tlogThreshold?: number;
  ctlogThreshold?: number;
}): SignatureRules {
  const keys = input.keys.map(({ name, pem }) => {
    try {
      return { name, key: createPublicKey(pem) };
    } catch (e) {
      throw new InputError(`${name}: not a PEM public key (${(e as Error).message})`);
    }
  });
  let trust: TrustMaterial | undefined;
  if (input.trustedRoot) {
    try {
      trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(input.trustedRoot.json)));
    } catch (e) {
      throw new InputError(
        `${input.trustedRoot.name}: not a Sigstore trusted root (${(e as Error).message})`,
      );
    }
  }
  const rules: SignatureRules = {
    keys,
    identities: input.identities.map((i) => ({ issuer: i.issuer, subject: new RegExp(i.subject, 'u') })),
    tlogThreshold: input.tlogThreshold ?? 1,
    ctlogThreshold: input.ctlogThreshold ?? 1,
  };
  if (trust) rules.trust = trust;
  return rules;
}

/** A signature found for an image, as the registry gave it. */
export type SignatureCandidate =
  | { kind: 'cosign'; payload: Buffer; annotations: Readonly<Record<string, string>> }
  | { kind: 'bundle'; json: string };

/** What checking the candidates of one image concluded. */
export interface SignatureOutcome {
  verified: boolean;
  signer?: string;
  reason: string;
}

type Checked = { ok: true; signer: string } | { ok: false; reason: string };

/** Verifies the candidates for `digest`; the first valid one wins, else every reason is given. */
export function verifyImageSignatures(
  candidates: readonly SignatureCandidate[],
  digest: string,
  rules: SignatureRules,
): SignatureOutcome {
  if (candidates.length === 0) return { verified: false, reason: 'no signature found' };
  const reasons: string[] = [];
  for (const c of candidates) {
    const r = c.kind === 'cosign' ? checkCosign(c, digest, rules) : checkBundle(c.json, digest, rules);
    if (r.ok) return { verified: true, signer: r.signer, reason: `signed by ${r.signer}` };
    reasons.push(r.reason);
  }
  const unique = [...new Set(reasons)];
  return {
    verified: false,
    reason: `${candidates.length} signature${candidates.length === 1 ? '' : 's'}, none valid: ${unique.slice(0, 3).join('; ')}`,
  };
}

function checkCosign(
  c: Extract<SignatureCandidate, { kind: 'cosign' }>,
  digest: string,
  rules: SignatureRules,
): Checked {
  const sigText = c.annotations[COSIGN_SIGNATURE_ANNOTATION];
  if (sigText === undefined || sigText === '')
    return { ok: false, reason: 'signature layer without a signature' };
  const named = payloadDigest(c.payload);
  if (named !== digest)
    return { ok: false, reason: `signature payload names ${named ?? 'no image'}, not ${digest}` };
  const signature = Buffer.from(sigText, 'base64');
  const certificate = c.annotations[COSIGN_CERTIFICATE_ANNOTATION];
  if (certificate === undefined || certificate === '') {
    for (const { name, key } of rules.keys)
      if (safeVerify(c.payload, key, signature)) return { ok: true, signer: `key ${name}` };
    return {
      ok: false,
      reason:
        rules.keys.length === 0
          ? 'signed with a key, but no keys are configured'
          : 'signature does not match any configured key',
    };
  }
  // A keyless cosign signature: rebuilt as the Sigstore bundle it is, then verified like one.
  let bundle: Bundle;
  try {
    bundle = cosignToBundle(c.payload, signature, certificate, c.annotations[COSIGN_REKOR_ANNOTATION]);
  } catch (e) {
    return { ok: false, reason: `keyless signature unreadable: ${(e as Error).message}` };
  }
  return verifyKeyless(bundle, c.payload, rules);
}

function checkBundle(json: string, digest: string, rules: SignatureRules): Checked {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(json));
    assertBundle(bundle);
  } catch (e) {
    return { ok: false, reason: `not a Sigstore bundle (${(e as Error).message})` };
  }
  if (bundle.content.$case !== 'dsseEnvelope')
    return { ok: false, reason: 'bundle signs a message, not an in-toto statement about the image' };
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== 'application/vnd.in-toto+json')
    return { ok: false, reason: `bundle payload type ${envelope.payloadType} is not in-toto` };
  if (!statementNames(envelope.payload, digest))
    return { ok: false, reason: `bundle statement does not name ${digest}` };
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'publicKey') {
    for (const { name, key } of rules.keys) {
      const trust: TrustMaterial = {
        certificateAuthorities: [],
        timestampAuthorities: [],
        tlogs: rules.trust?.tlogs ?? [],
        ctlogs: [],
        publicKey: () => ({ publicKey: key, validFor: () => true }),
      };
      try {
        new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(
          toSignedEntity(bundle),
        );
        return { ok: true, signer: `key ${name}` };
      } catch {
        // Try the next key.
      }
    }
    return {
      ok: false,
      reason:
        rules.keys.length === 0
          ? 'bundle signed with a key, but no keys are configured'
          : 'bundle signature does not match any configured key',
    };
  }
  return verifyKeyless(bundle, undefined, rules);
}

function verifyKeyless(bundle: Bundle, artifact: Buffer | undefined, rules: SignatureRules): Checked {
  if (!rules.trust || rules.identities.length === 0)
    return { ok: false, reason: 'keyless signature, but no trusted root and identities are configured' };
  let signer;
  try {
    signer = new Verifier(rules.trust, {
      tlogThreshold: rules.tlogThreshold,
      ctlogThreshold: rules.ctlogThreshold,
      // The log's integration time dates the certificate; at least one is needed to check the chain.
      timestampThreshold: 1,
    }).verify(toSignedEntity(bundle, artifact));
  } catch (e) {
    return { ok: false, reason: `keyless signature not valid: ${(e as Error).message}` };
  }
  const issuer = signer.identity?.extensions?.issuer;
  const subject = signer.identity?.subjectAlternativeName;
  if (issuer === undefined || subject === undefined)
    return { ok: false, reason: 'certificate names no OIDC issuer or subject' };
  const match = rules.identities.find((i) => i.issuer === issuer && i.subject.test(subject));
  if (!match)
    return { ok: false, reason: `signer ${subject} (issuer ${issuer}) is not an accepted identity` };
  return { ok: true, signer: `${subject} (issuer ${issuer})` };
}

function safeVerify(data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return cryptoVerify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, key, signature);
  } catch {
    return false;
  }
}

/** The image digest a simple-signing payload names, or undefined. */
export function payloadDigest(payload: Buffer): string | undefined {
  try {
    const doc = JSON.parse(payload.toString('utf8')) as {
      critical?: { image?: { 'docker-manifest-digest'?: unknown }; type?: unknown };
    };
    const d = doc.critical?.image?.['docker-manifest-digest'];
    return doc.critical?.type === 'cosign container image signature' && typeof d === 'string' ? d : undefined;
  } catch {
    return undefined;
  }
}

function statementNames(payload: Buffer, digest: string): boolean {
  const [alg, hex] = digest.split(':');
  try {
    const doc = JSON.parse(payload.toString('utf8')) as { subject?: { digest?: Record<string, unknown> }[] };
    return (doc.subject ?? []).some((s) => alg !== undefined && s.digest?.[alg] === hex);
  } catch {
    return false;
  }
}

function pemToDer(pem: string): Buffer[] {
  const out: Buffer[] = [];
  const marker = '-----BEGIN CERTIFICATE-----';
  let at = pem.indexOf(marker);
  while (at !== -1) {
    const end = pem.indexOf('-----END CERTIFICATE-----', at);
    if (end === -1) break;
    out.push(Buffer.from(pem.slice(at + marker.length, end).replace(/\s/g, ''), 'base64'));
    at = pem.indexOf(marker, end);
  }
  return out;
}

/** Rebuilds a keyless cosign signature (payload, signature, certificate, Rekor bundle) as a Sigstore bundle. */
function cosignToBundle(
  payload: Buffer,
  signature: Buffer,
  certificatePem: string,
  rekor: string | undefined,
): Bundle {
  const [cert] = pemToDer(certificatePem);
  if (!cert) throw new Error('no PEM certificate');
  const tlogEntries: unknown[] = [];
  if (rekor !== undefined && rekor !== '') {
    const r = JSON.parse(rekor) as {
      SignedEntryTimestamp?: string;
      Payload?: { body?: string; integratedTime?: number; logIndex?: number; logID?: string };
    };
    const p = r.Payload;
    if (
      !p?.body ||
      p.integratedTime === undefined ||
      p.logIndex === undefined ||
      !p.logID ||
      !r.SignedEntryTimestamp
    )
      throw new Error('transparency-log entry incomplete');
    const body = JSON.parse(Buffer.from(p.body, 'base64').toString('utf8')) as {
      kind?: string;
      apiVersion?: string;
    };
    tlogEntries.push({
      logIndex: String(p.logIndex),
      logId: { keyId: Buffer.from(p.logID, 'hex').toString('base64') },
      kindVersion: { kind: body.kind ?? '', version: body.apiVersion ?? '' },
      integratedTime: String(p.integratedTime),
      inclusionPromise: { signedEntryTimestamp: r.SignedEntryTimestamp },
      canonicalizedBody: p.body,
    });
  }
  const bundle = bundleFromJSON({
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: cert.toString('base64') }] },
      tlogEntries,
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
      signature: signature.toString('base64'),
    },
  });
  assertBundle(bundle);
  return bundle;
}
