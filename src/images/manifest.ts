import { InputError } from '../core/index.js';
import { formatPlatform, type ImageConfigSummary, type LayerDescriptor, type Platform } from './types.js';

/** Media types of image manifests and indexes (OCI and Docker schema 2). */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** The Accept header a registry client sends for manifests. */
export const MANIFEST_ACCEPT = Object.values(MEDIA_TYPES).join(', ');

/** An entry of an index or manifest list. */
export interface IndexEntry {
  digest: string;
  mediaType: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** A parsed manifest: either an index to choose from, or an image. */
export type ParsedManifest =
  | { kind: 'index'; manifests: IndexEntry[] }
  | { kind: 'image'; config: { digest: string; size: number }; layers: LayerDescriptor[] };

const DIGEST = /^sha(256:[a-f0-9]{64}|512:[a-f0-9]{128})$/;

/** Whether a string is a sha256 or sha512 digest. */
export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function descriptor(v: unknown, where: string): { digest: string; mediaType: string; size: number } {
  const d = record(v);
  const digest = d?.digest;
  if (typeof digest !== 'string' || !isDigest(digest))
    throw new InputError(`${where}: descriptor without a valid digest`);
  const size = typeof d?.size === 'number' && Number.isSafeInteger(d.size) && d.size >= 0 ? d.size : 0;
  return { digest, mediaType: typeof d?.mediaType === 'string' ? d.mediaType : '', size };
}

/**
 * Parses a manifest or index document (OCI or Docker schema 2). Schema 1 manifests and
 * anything else are input errors: they name no content-addressed layers to verify.
 */
export function parseManifest(text: string, where: string, contentType?: string): ParsedManifest {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = record(JSON.parse(text));
  } catch {
    throw new InputError(`${where}: manifest is not JSON`);
  }
  if (doc === undefined) throw new InputError(`${where}: manifest is not a JSON object`);
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : (contentType ?? '');
  if (
    Array.isArray(doc.manifests) ||
    mediaType === MEDIA_TYPES.ociIndex ||
    mediaType === MEDIA_TYPES.dockerList
  ) {
    if (!Array.isArray(doc.manifests)) throw new InputError(`${where}: index without manifests`);
    const manifests = doc.manifests.map((m, i): IndexEntry => {
      const base = descriptor(m, `${where}: manifests[${i}]`);
      const p = record(record(m)?.platform);
      const annotations = record(record(m)?.annotations);
      const entry: IndexEntry = { ...base };
      if (typeof p?.os === 'string' && typeof p.architecture === 'string') {
        entry.platform =
          typeof p.variant === 'string'
            ? { os: p.os, architecture: p.architecture, variant: p.variant }
            : { os: p.os, architecture: p.architecture };
      }
      if (annotations !== undefined)
        entry.annotations = Object.fromEntries(
          Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'),
        );
      return entry;
    });
    return { kind: 'index', manifests };
  }
  if (doc.schemaVersion === 1) throw new InputError(`${where}: Docker schema 1 manifests are not supported`);
  if (!Array.isArray(doc.layers)) throw new InputError(`${where}: manifest without layers`);
  const config = descriptor(doc.config, `${where}: config`);
  const layers = doc.layers.map((l, i) => descriptor(l, `${where}: layers[${i}]`));
  return { kind: 'image', config: { digest: config.digest, size: config.size }, layers };
}

/** Whether an index entry describes an attestation or signature rather than a runnable image. */
function isAttestation(e: IndexEntry): boolean {
  return (
    e.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (e.platform?.os === 'unknown' && e.platform.architecture === 'unknown')
  );
}

/**
 * Chooses one manifest of an index: the one for the platform asked for, else the only runnable
 * one. Several runnable ones and no platform is an input error listing them, so the user can pick.
 */
export function selectFromIndex(
  entries: readonly IndexEntry[],
  platform: Platform | undefined,
  where: string,
): IndexEntry {
  const runnable = entries.filter((e) => !isAttestation(e));
  if (platform !== undefined) {
    const match = runnable.find(
      (e) =>
        e.platform?.os === platform.os &&
        e.platform.architecture === platform.architecture &&
        (platform.variant === undefined || e.platform.variant === platform.variant),
    );
    if (match === undefined)
      throw new InputError(
        `${where}: no manifest for platform ${formatPlatform(platform)}; available: ${available(runnable)}`,
      );
    return match;
  }
  if (runnable.length === 1 && runnable[0] !== undefined) return runnable[0];
  if (runnable.length === 0) throw new InputError(`${where}: index lists no image manifest`);
  const linux = runnable.filter((e) => e.platform?.os === 'linux' && e.platform.architecture === 'amd64');
  if (linux.length === 1 && linux[0] !== undefined) return linux[0];
  throw new InputError(
    `${where}: index lists several platforms (${available(runnable)}); choose one with --platform`,
  );
}

function available(entries: readonly IndexEntry[]): string {
  return entries.map((e) => (e.platform !== undefined ? formatPlatform(e.platform) : e.digest)).join(', ');
}

/** Reads the parts of an image configuration a scan reports. */
export function parseImageConfig(text: string, where: string): ImageConfigSummary {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = record(JSON.parse(text));
  } catch {
    throw new InputError(`${where}: image configuration is not JSON`);
  }
  const out: ImageConfigSummary = {};
  if (typeof doc?.os === 'string') out.os = doc.os;
  if (typeof doc?.architecture === 'string') out.architecture = doc.architecture;
  if (typeof doc?.variant === 'string') out.variant = doc.variant;
  if (typeof doc?.created === 'string') out.created = doc.created;
  return out;
}
