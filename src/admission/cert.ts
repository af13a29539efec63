/**
 * A private CA and the certificates the webhook needs: a serving certificate for the
 * Service's DNS names (the API server verifies it against the webhook's caBundle) and,
 * optionally, a client certificate for the API server when the webhook verifies callers.
 * Keys are ECDSA P-256 from node:crypto's WebCrypto; certificates are built with
 * @peculiar/x509 (Node can parse X.509 but not issue it; see docs/decisions/admission-certificates.md).
 * Loaded lazily through index.ts because the library needs the reflect-metadata polyfill.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

// The library types WebCrypto with DOM names; node:crypto's webcrypto is the same API.
x509.cryptoProvider.set(webcrypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** A certificate and its private key, both PEM. */
export interface PemPair {
  cert: string;
  key: string;
}

/** Options of `createWebhookCertificates`. */
export interface CertificateOptions {
  /** Service name, e.g. `palisade`. */
  service: string;
  /** Service namespace, e.g. `palisade-system`. */
  namespace: string;
  /** Cluster DNS domain (default `cluster.local`). */
  clusterDomain?: string;
  /** Extra DNS names and IP addresses for the serving certificate (e.g. `127.0.0.1` for local runs). */
  extraNames?: readonly string[];
  /** Validity in days (default 365). */
  days?: number;
  /** Also issue a client certificate with this common name (for client verification). */
  clientCommonName?: string;
  /** The time the certificates start from (default now). */
  now?: Date;
}

/** A CA, the serving certificate it signed, and optionally a client certificate. */
export interface WebhookCertificates {
  ca: PemPair;
  serving: PemPair;
  client?: PemPair;
  /** DNS names and IPs in the serving certificate. */
  names: string[];
  notAfter: Date;
}

/** The DNS names the API server may use for a Service (the last one is what it dials). */
export function serviceDnsNames(
  service: string,
  namespace: string,
  clusterDomain = 'cluster.local',
): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.${clusterDomain}`,
  ];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Creates a CA and the webhook's serving certificate (plus a client certificate when asked). */
export async function createWebhookCertificates(options: CertificateOptions): Promise<WebhookCertificates> {
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(now.getTime() + (options.days ?? 365) * 86_400_000);
  const caKeys = await generateKeys();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${options.service}.${options.namespace} webhook CA, O=palisade`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const names = [
    ...serviceDnsNames(options.service, options.namespace, options.clusterDomain),
    ...(options.extraNames ?? []),
  ];
  const serving = await issue(caCert, caKeys, {
    commonName: `${options.service}.${options.namespace}.svc`,
    names,
    usage: x509.ExtendedKeyUsage.serverAuth,
    notBefore,
    notAfter,
  });
  const out: WebhookCertificates = {
    ca: { cert: caCert.toString('pem'), key: await pemKey(caKeys.privateKey) },
    serving,
    names,
    notAfter,
  };
  if (options.clientCommonName !== undefined)
    out.client = await issue(caCert, caKeys, {
      commonName: options.clientCommonName,
      names: [],
      usage: x509.ExtendedKeyUsage.clientAuth,
      notBefore,
      notAfter,
    });
  return out;
}

async function issue(
  caCert: x509.X509Certificate,
  caKeys: CryptoKeyPair,
  o: { commonName: string; names: string[]; usage: string; notBefore: Date; notAfter: Date },
): Promise<PemPair> {
  const keys = await generateKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([o.usage], false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
  ];
  if (o.names.length > 0)
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        o.names.map((value) => ({
          type: IPV4.test(value) || value.includes(':') ? ('ip' as const) : ('dns' as const),
          value,
        })),
        false,
      ),
    );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${o.commonName}`,
    issuer: caCert.subject,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await pemKey(keys.privateKey) };
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/** A positive 128-bit serial number in hex (RFC 5280: at most 20 octets, non-negative). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}
