/**
 * Certificates made for tests: self-signed ECDSA P-256, with the validity a case needs, and
 * a private key in PEM for the cases that check key material never leaves the reader.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

/** A PEM certificate and its private key (PKCS#8 PEM). */
export interface TestCertificate {
  cert: string;
  key: string;
}

/** A self-signed certificate for `cn`, valid from `notBefore` to `notAfter` (dates or ISO strings). */
export async function makeCertificate(
  cn: string,
  notBefore: string | Date,
  notAfter: string | Date,
): Promise<TestCertificate> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${cn}`,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const lines = pkcs8.match(/.{1,64}/g) ?? [];
  return {
    cert: `${cert.toString('pem')}\n`,
    key: `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`,
  };
}
