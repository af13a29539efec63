import type { Readable } from 'node:stream';
import { InputError } from '../core/index.js';

/** One layer of an image as its manifest lists it. */
export interface LayerDescriptor {
  /** Digest of the compressed blob (`sha256:…`). */
  digest: string;
  mediaType: string;
  /** Compressed size in bytes as the manifest declares it. */
  size: number;
}

/** The parts of an image configuration a scan reports. */
export interface ImageConfigSummary {
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
}

/**
 * An image whose layers can be streamed: from an OCI layout, a `docker save` archive or a
 * registry. Invariant: every blob `openBlob` returns has been (or is, while streamed) checked
 * against its digest; a mismatch surfaces as an InputError from the stream.
 */
export interface ImageSource {
  /** What the user named: `oci:DIR[:tag]`, `archive:FILE`, `registry/repo:tag`. */
  name: string;
  /** Digest of the manifest chosen (after resolving an index for the platform), when known. */
  manifestDigest?: string;
  config: ImageConfigSummary;
  layers: LayerDescriptor[];
  /** Opens a blob by digest; the stream fails with an InputError if its content does not match. */
  openBlob(digest: string): Promise<Readable>;
  /** Releases scratch space the source holds. */
  close(): Promise<void>;
}

/** A platform as `os/arch[/variant]`. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Parses `--platform os/arch[/variant]`; undefined when the text is not of that shape. */
export function parsePlatform(text: string): Platform | undefined {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) return undefined;
  const [os, architecture, variant] = parts as [string, string, string?];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** Formats a platform as `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return p.variant === undefined ? `${p.os}/${p.architecture}` : `${p.os}/${p.architecture}/${p.variant}`;
}

/**
 * A layer's content could not be used safely (path traversal, a symlink or hard link leaving the
 * tree, a decompression or file-count bomb, a digest mismatch). Names the layer and the entry.
 */
export class LayerError extends InputError {
  constructor(
    readonly layerDigest: string,
    readonly entry: string | undefined,
    readonly reason: string,
  ) {
    super(
      entry === undefined
        ? `layer ${layerDigest}: ${reason}`
        : `layer ${layerDigest}: entry ${JSON.stringify(entry)}: ${reason}`,
    );
  }
}
