import 'reflect-metadata'; // @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill loaded first.
import { webcrypto, generateKeyPairSync } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};
const DAY_MS = 24 * 3600 * 1000;

/** A certificate and its private key, both PEM. */
export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

/** A certificate authority that signs the serving certificate and the users' client certificates. */
export interface CertificateAuthority extends KeyPairPem {
  /** Signs a client certificate whose CN is the user and whose O entries are the groups. */
  issueClient(username: string, groups: readonly string[]): Promise<KeyPairPem>;
  /** Signs a serving certificate for the given DNS names and IP addresses. */
  issueServer(dnsNames: readonly string[], ips: readonly string[]): Promise<KeyPairPem>;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function serial(): string {
  // Positive 16-byte serial: the top bit cleared so DER does not read it as negative.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** Creates a fresh self-signed CA (ECDSA P-256, valid for a few days: certificates live as long as a test run). */
export async function createCertificateAuthority(
  commonName = 'palisade-harness-ca',
): Promise<CertificateAuthority> {
  const keys = await newKeys();
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 7 * DAY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });

  const issue = async (
    name: x509.JsonName,
    usage: x509.ExtendedKeyUsage,
    san?: x509.JsonGeneralNames,
  ): Promise<KeyPairPem> => {
    const leafKeys = await newKeys();
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([usage]),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ];
    if (san) extensions.push(new x509.SubjectAlternativeNameExtension(san));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: name,
      issuer: caCert.subject,
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + 7 * DAY_MS),
      publicKey: leafKeys.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: ALG,
      extensions,
    });
    return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(leafKeys.privateKey) };
  };

  return {
    certPem: caCert.toString('pem'),
    keyPem: await privateKeyPem(keys.privateKey),
    issueClient: (username, groups) =>
      issue([{ CN: [username] }, ...groups.map((g) => ({ O: [g] }))], x509.ExtendedKeyUsage.clientAuth),
    issueServer: (dnsNames, ips) =>
      issue([{ CN: [dnsNames[0] ?? ips[0] ?? 'localhost'] }], x509.ExtendedKeyUsage.serverAuth, [
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
  };
}

/** A key pair for signing and verifying service-account tokens (public SPKI PEM, private PKCS#8 PEM). */
export function createServiceAccountKeys(): { publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
