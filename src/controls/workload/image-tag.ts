/**
 * workload/image-tag — images must name a fixed version.
 *
 * An image without a tag or with the tag `latest` changes under the workload without a
 * change to the manifest: rollbacks and audits cannot tell what ran. Fails for each
 * container whose image has no tag and no digest, or the tag `latest`. An image pinned by
 * digest (`@sha256:…`) passes whatever its tag.
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
      if (digest !== undefined) continue;
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
