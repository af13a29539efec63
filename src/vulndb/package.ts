/**
 * A software package found inside an image or read from an SBOM: what the catalogers of
 * `src/images` produce and what the vulnerability matcher of `src/vulndb` consumes.
 * Invariant: `purl` is a valid package URL whose type agrees with `ecosystem`.
 */
export interface CatalogPackage {
  /** Package name as the ecosystem spells it (dpkg binary name, npm name with scope, Maven group:artifact). */
  name: string;
  /** Version exactly as installed (dpkg epoch:upstream-revision, apk pkgver-rN, rpm [epoch:]version-release). */
  version: string;
  /** Package URL, e.g. pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12. */
  purl: string;
  /** OSV ecosystem name: "Debian:12", "Alpine:v3.19", "npm", "PyPI", "Go", "Maven", "RubyGems", "crates.io", "Red Hat", … */
  ecosystem: string;
  /** Source package, where the ecosystem has one (dpkg Source:, rpm SOURCERPM); OSV distro records name it. */
  source?: { name: string; version: string };
  /** Licences as declared (SPDX ids or expressions where known). */
  licenses?: string[];
  /** Where the package was found: the layer that last wrote the record and the path of the record. */
  location: { layerDigest?: string; path: string };
}
