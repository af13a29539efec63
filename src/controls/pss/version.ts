/**
 * Pod Security Standards policy versions. A policy version is `v1.<minor>` or `latest`; it is
 * held as its minor number. As upstream, a version newer than the newest check revision is
 * evaluated as that newest revision, and `latest` is the newest revision.
 */

/** Newest policy minor with a check revision (the sysctls allow-list of v1.37). */
const NEWEST_POLICY_MINOR = 37;

const VERSION = /^v1\.(0|[1-9][0-9]*)$/;

/** Parses `v1.<minor>` or `latest` into a minor number (latest → the newest), or undefined. */
export function parsePolicyVersion(version: string): number | undefined {
  if (version === 'latest') return NEWEST_POLICY_MINOR;
  const m = VERSION.exec(version);
  if (!m?.[1]) return undefined;
  const minor = Number(m[1]);
  return Number.isSafeInteger(minor) ? minor : undefined;
}

/** The minor a policy version is evaluated at: newer versions are clamped to the newest revision. */
export function effectiveMinor(minor: number): number {
  return Math.min(minor, NEWEST_POLICY_MINOR);
}
