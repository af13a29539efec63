import { PackageURL } from 'packageurl-js';

/** Builds a package URL; qualifiers with undefined values are left out. */
export function purl(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers: Record<string, string | undefined> = {},
): string {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(qualifiers)) if (v !== undefined && v !== '') q[k] = v;
  return new PackageURL(
    type,
    namespace ?? undefined,
    name,
    version ?? undefined,
    Object.keys(q).length > 0 ? q : undefined,
    undefined,
  ).toString();
}
