/**
 * Signing for tests: cosign-compatible signatures made with node:crypto ECDSA P-256 keys, and a
 * private Sigstore (a certificate authority standing in for Fulcio, a log key standing in for
 * Rekor, and the trusted_root.json naming both) for keyless signatures. Everything is offline.
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {
  COSIGN_CERTIFICATE_ANNOTATION,
  COSIGN_REKOR_ANNOTATION,
  COSIGN_SIGNATURE_ANNOTATION,
  type SignatureCandidate,
} from './signatures.js';

x509.cryptoProvider.set(webcrypto);
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A signing key pair: the private key and the public key as PEM (what cosign.pub holds). */
export interface TestKeyPair {
  privateKey: KeyObject;
  publicPem: string;
}

/** A fresh ECDSA P-256 key pair. */
export function generateSigningKey(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** The simple-signing payload cosign signs for an image. */
export function simpleSigningPayload(repository: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': repository },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

/** A cosign signature of the image by a key: the payload and the layer annotations. */
export function cosignSignWithKey(repository: string, digest: string, key: KeyObject): SignatureCandidate {
  const payload = simpleSigningPayload(repository, digest);
  return {
    kind: 'cosign',
    payload,
    annotations: { [COSIGN_SIGNATURE_ANNOTATION]: sign('sha256', payload, key).toString('base64') },
  };
}

/** A DSSE Sigstore bundle (v0.3) of an in-toto statement about the image, signed by a key. */
export function bundleSignWithKey(digest: string, key: KeyObject, hint = 'test-key'): string {
  const [alg, hex] = digest.split(':') as [string, string];
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'image', digest: { [alg]: hex } }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    }),
  );
  const payloadType = 'application/vnd.in-toto+json';
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${statement.length} `),
    statement,
  ]);
  return JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: statement.toString('base64'),
      payloadType,
      signatures: [{ sig: sign('sha256', pae, key).toString('base64'), keyid: '' }],
    },
  });
}

/** A private Sigstore for keyless signatures. */
export interface TestSigstore {
  /** trusted_root.json naming the test CA and the test log. */
  trustedRootJson: string;
  /** A keyless cosign signature of the image by `subject` (an e-mail) as issued for `issuer`. */
  signKeyless(
    repository: string,
    digest: string,
    identity: { subject: string; issuer: string },
  ): Promise<SignatureCandidate>;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

/** Sorted-key JSON of a flat object, as Rekor canonicalises its entries. */
function canonical(o: Record<string, string | number>): string {
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`)
    .join(',')}}`;
}

/** Creates a private Sigstore: a CA certificate, a transparency-log key, and their trusted root. */
export async function createTestSigstore(now = new Date()): Promise<TestSigstore> {
  const notBefore = new Date(now.getTime() - 3_600_000);
  const notAfter = new Date(now.getTime() + 86_400_000);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=palisade test fulcio, O=palisade-test',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const log = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const logDer = log.publicKey.export({ type: 'spki', format: 'der' });
  const logId = createHash('sha256').update(logDer).digest();
  const trustedRootJson = JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: 'https://rekor.test.invalid',
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: logDer.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start: '2020-01-01T00:00:00Z' },
        },
        logId: { keyId: logId.toString('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'palisade-test', commonName: 'palisade test fulcio' },
        uri: 'https://fulcio.test.invalid',
        certChain: { certificates: [{ rawBytes: Buffer.from(ca.rawData).toString('base64') }] },
        validFor: { start: '2020-01-01T00:00:00Z' },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  });
  let logIndex = 0;

  return {
    trustedRootJson,
    async signKeyless(repository, digest, identity) {
      const leafKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: '',
        issuer: ca.subject,
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: new Date(now.getTime() + 600_000),
        publicKey: leafKeys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ALGORITHM,
        extensions: [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.3'], false),
          new x509.SubjectAlternativeNameExtension([{ type: 'email', value: identity.subject }], true),
          // Fulcio's issuer extension (v1: the raw issuer URL).
          new x509.Extension('1.3.6.1.4.1.57264.1.1', false, Buffer.from(identity.issuer, 'ascii')),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
      });
      const leafPem = leaf.toString('pem');
      const privateKey = createPrivateKey({
        key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey)),
        format: 'der',
        type: 'pkcs8',
      });
      const payload = simpleSigningPayload(repository, digest);
      const signature = sign('sha256', payload, privateKey).toString('base64');
      const body = Buffer.from(
        JSON.stringify({
          apiVersion: '0.0.1',
          kind: 'hashedrekord',
          spec: {
            data: {
              hash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') },
            },
            signature: {
              content: signature,
              publicKey: { content: Buffer.from(leafPem).toString('base64') },
            },
          },
        }),
      ).toString('base64');
      const entry = {
        body,
        integratedTime: Math.floor(now.getTime() / 1000),
        logIndex: logIndex++,
        logID: logId.toString('hex'),
      };
      const set = sign('sha256', Buffer.from(canonical(entry)), log.privateKey).toString('base64');
      return {
        kind: 'cosign',
        payload,
        annotations: {
          [COSIGN_SIGNATURE_ANNOTATION]: signature,
          [COSIGN_CERTIFICATE_ANNOTATION]: leafPem,
          [COSIGN_REKOR_ANNOTATION]: JSON.stringify({ SignedEntryTimestamp: set, Payload: entry }),
        },
      };
    },
  };
}
