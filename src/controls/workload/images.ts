/**
 * Image provenance controls.
 *
 * - workload/image-digest: fails for each container whose image is not pinned by a
 *   well-formed digest (`@sha256:` and 64 lowercase hex, or `@sha512:` and 128); a tag can be
 *   moved to other content by whoever can push, and a malformed digest pins nothing.
 * - workload/image-pull-policy: fails when the effective pull policy is not `Always` for an
 *   image that is not pinned by digest. The effective policy is the field, or when unset
 *   Kubernetes' default: `Always` for `latest` or no tag, `IfNotPresent` otherwise. A node
 *   cache then serves whatever was pulled first, bypassing registry authorisation.
 * - workload/allowed-registries: with the setting `allowedRegistries` (a list of globs
 *   matched against the image's registry and repository, e.g. `registry.example.com/*`),
 *   fails for each image outside it. Images without a registry host are `docker.io/…`
 *   (`docker.io/library/…` for one-segment names). Without the setting the control passes.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';
import { glob } from '../exceptions.js';
import { cis, containerName, mitre, nsa, stringListSetting } from '../support.js';
import { imageTagOf, isPinnedDigest } from './image-tag.js';

/** The fully qualified repository of an image (`nginx` → `docker.io/library/nginx`). */
export function imageRepository(image: string): string {
  const at = image.indexOf('@');
  let name = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  if (colon >= 0) name = name.slice(0, colon);
  const first = name.split('/')[0] ?? '';
  const hasHost = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost) return name;
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
}

function images(pod: Parameters<typeof containersOf>[0]) {
  return containersOf(pod).filter((c) => typeof c.container.image === 'string' && c.container.image !== '');
}

export const imageDigest: Control = {
  id: 'workload/image-digest',
  title: 'Images must be pinned by digest',
  severity: 'low',
  category: 'supply-chain',
  appliesTo: { podTemplate: true },
  rationale: 'A tag is a movable pointer: the registry can serve different content under it tomorrow.',
  remediation: 'Reference images as name@sha256:<digest> (tools like crane or skopeo print it).',
  frameworks: [cis('5.5.1'), nsa('Pod security: building secure container images'), mitre('T1525')],
  check({ pod }) {
    if (!pod) return [];
    return images(pod).flatMap((c) => {
      const { digest } = imageTagOf(c.container.image ?? '');
      if (isPinnedDigest(digest)) return [];
      const why = digest === undefined ? 'is not pinned by digest' : 'has a malformed digest';
      return [
        {
          message: `container "${containerName(c)}" image "${c.container.image ?? ''}" ${why}`,
          path: `${c.path}.image`,
        },
      ];
    });
  },
};

export const imagePullPolicy: Control = {
  id: 'workload/image-pull-policy',
  title: 'Images not pinned by digest must be pulled with imagePullPolicy Always',
  severity: 'low',
  category: 'supply-chain',
  appliesTo: { podTemplate: true },
  rationale:
    "With IfNotPresent or Never a node reuses its cached image: another tenant's pull, or a stale tag, runs instead.",
  remediation: 'Set imagePullPolicy: Always, or pin the image by digest.',
  frameworks: [nsa('Pod security: building secure container images'), mitre('T1525')],
  check({ pod }) {
    if (!pod) return [];
    const out: Violation[] = [];
    for (const c of images(pod)) {
      const { tag, digest } = imageTagOf(c.container.image ?? '');
      if (isPinnedDigest(digest)) continue;
      const field = c.container['imagePullPolicy'];
      const effective =
        typeof field === 'string' ? field : tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
      if (effective === 'Always') continue;
      out.push({
        message: `container "${containerName(c)}" pulls "${c.container.image ?? ''}" with ${effective}${typeof field === 'string' ? '' : ' (the default)'}`,
        path: typeof field === 'string' ? `${c.path}.imagePullPolicy` : `${c.path}.image`,
      });
    }
    return out;
  },
};

export const allowedRegistries: Control = {
  id: 'workload/allowed-registries',
  title: 'Images must come from an allowed registry',
  severity: 'high',
  category: 'supply-chain',
  appliesTo: { podTemplate: true },
  rationale:
    'Images from unvetted registries bypass the scanning, signing and retention your own registry enforces.',
  remediation:
    'Mirror the image into an allowed registry and reference it from there, or extend allowedRegistries.',
  frameworks: [cis('5.5.1'), nsa('Pod security: building secure container images'), mitre('T1204.003')],
  check({ pod, settings }) {
    const allowed = stringListSetting(settings, 'allowedRegistries');
    if (!pod || allowed === undefined) return [];
    const patterns = allowed.map((a) => glob(a.endsWith('/') ? `${a}*` : a));
    const out: Violation[] = [];
    for (const c of images(pod)) {
      const repo = imageRepository(c.container.image ?? '');
      if (patterns.some((p) => p.test(repo))) continue;
      out.push({
        message: `container "${containerName(c)}" image "${c.container.image ?? ''}" (${repo}) is not from an allowed registry`,
        path: `${c.path}.image`,
      });
    }
    return out;
  },
};
