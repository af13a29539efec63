/**
 * Finds the signatures of an image in its registry: the cosign `sha256-<hex>.sig` tag (each
 * layer a simple-signing payload, or a Sigstore bundle) and Sigstore bundles attached as OCI
 * referrers (the referrers API, else its `sha256-<hex>` fallback tag). Bounded: at most
 * `MAX_SIGNATURES` candidates, each blob at most 1 MiB.
 */
import { InputError } from '../core/index.js';
import type { RegistryClient } from './registry.js';
import { SIMPLE_SIGNING_MEDIA_TYPE, type SignatureCandidate } from './signatures.js';

const MAX_SIGNATURES = 16;
const MAX_SIGNATURE_BLOB = 1024 * 1024;
const BUNDLE_PREFIX = 'application/vnd.dev.sigstore.bundle';

interface Descriptor {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
  artifactType?: unknown;
  annotations?: unknown;
}

function descriptors(text: string, key: 'layers' | 'manifests', where: string): Descriptor[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InputError(`${where}: not JSON`);
  }
  const list = (doc as Record<string, unknown> | null)?.[key];
  return Array.isArray(list) ? (list.filter((d) => d !== null && typeof d === 'object') as Descriptor[]) : [];
}

function annotationsOf(d: Descriptor): Record<string, string> {
  const out: Record<string, string> = {};
  if (d.annotations !== null && typeof d.annotations === 'object')
    for (const [k, v] of Object.entries(d.annotations)) if (typeof v === 'string') out[k] = v;
  return out;
}

async function candidatesFromManifest(
  client: RegistryClient,
  text: string,
  where: string,
  out: SignatureCandidate[],
): Promise<void> {
  for (const layer of descriptors(text, 'layers', where)) {
    if (out.length >= MAX_SIGNATURES) return;
    if (typeof layer.digest !== 'string' || typeof layer.mediaType !== 'string') continue;
    const size = typeof layer.size === 'number' ? layer.size : 0;
    if (layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE) {
      const payload = await client.readSmallBlob(layer.digest, size, MAX_SIGNATURE_BLOB);
      out.push({ kind: 'cosign', payload, annotations: annotationsOf(layer) });
    } else if (layer.mediaType.startsWith(BUNDLE_PREFIX)) {
      const json = (await client.readSmallBlob(layer.digest, size, MAX_SIGNATURE_BLOB)).toString('utf8');
      out.push({ kind: 'bundle', json });
    }
  }
}

/** Every signature candidate the registry holds for `digest` (empty when it holds none). */
export async function fetchSignatureCandidates(
  client: RegistryClient,
  digest: string,
): Promise<SignatureCandidate[]> {
  const [alg, hex] = digest.split(':');
  if (alg === undefined || hex === undefined) throw new InputError(`invalid digest ${digest}`);
  const out: SignatureCandidate[] = [];
  const sig = await client.findManifest(`${alg}-${hex}.sig`);
  if (sig) await candidatesFromManifest(client, sig.text, `signature manifest of ${digest}`, out);
  const referrers =
    (await client.findReferrers(digest)) ?? (await client.findManifest(`${alg}-${hex}`))?.text;
  if (referrers !== undefined) {
    for (const m of descriptors(referrers, 'manifests', `referrers of ${digest}`)) {
      if (out.length >= MAX_SIGNATURES) break;
      if (typeof m.digest !== 'string') continue;
      if (typeof m.artifactType !== 'string' || !m.artifactType.startsWith(BUNDLE_PREFIX)) continue;
      const manifest = await client.findManifest(m.digest);
      if (manifest) await candidatesFromManifest(client, manifest.text, `referrer ${m.digest}`, out);
    }
  }
  return out;
}
