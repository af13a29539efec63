/**
 * workload/image-tag — images must name a fixed version.
 *
 * An image without a tag or with the tag `latest` changes under the workload without a
 * change to the manifest: rollbacks and audits cannot tell what ran. Fails for each
 * container whose image has no tag and no digest, or the tag `latest`. An image pinned by
 * a well-formed digest (see `isPinnedDigest`) passes whatever its tag.
 */
import { containersOf, type Control } from '../../core/index.js';

/** Splits an image reference into its tag and digest (either may be absent). */
export function imageTagOf(image: string): { tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? name.slice(colon + 1) : undefined;
  return { ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Digest algorithms an image may be pinned with, and the length of their lowercase hex. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/**
 * True when a digest pins content: `sha256:` followed by 64 lowercase hex characters, or
 * `sha512:` by 128. Anything else (`sha256:abc`, upper-case hex, a short sha512, an unknown
 * algorithm) is refused by registries and pins nothing.
 */
export function isPinnedDigest(digest: string | undefined): boolean {
  if (digest === undefined) return false;
  const colon = digest.indexOf(':');
  const length = DIGEST_HEX_LENGTH[digest.slice(0, colon)];
  const hex = digest.slice(colon + 1);
  return colon > 0 && length !== undefined && hex.length === length && /^[0-9a-f]+$/.test(hex);
}

export const imageTag: Control = {
  id: 'workload/image-tag',
  title: 'Images must use a fixed tag, not latest or none',
  severity: 'medium',
  category: 'supply-chain',
  appliesTo: { podTemplate: true },
  rationale:
    'A mutable tag lets the running code change without a change to the manifest, defeating review, rollback and vulnerability tracking.',
  remediation: 'Pin the image to a version tag, or better to a digest (image@sha256:…).',
  frameworks: [
    { id: 'nsa-cisa-1.2', control: 'Pod security: building secure container images' },
    { id: 'mitre-attack', control: 'T1525' },
  ],
  check({ pod }) {
    if (!pod) return [];
    const out = [];
    for (const c of containersOf(pod)) {
      const image = c.container.image;
      if (typeof image !== 'string' || image === '') continue;
      const { tag, digest } = imageTagOf(image);
      if (isPinnedDigest(digest)) continue;
      if (tag === undefined || tag === 'latest') {
        out.push({
          message: `container "${c.container.name ?? `#${c.index}`}" uses image "${image}" ${tag === undefined ? 'without a tag' : 'with the tag latest'}`,
          path: `${c.path}.image`,
        });
      }
    }
    return out;
  },
};
