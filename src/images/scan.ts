import type { CatalogPackage } from '../vulndb/package.js';
import {
  CATALOGERS,
  catalogJavaArchives,
  catalogPackages,
  wantedByCatalogers,
  type Cataloger,
} from './catalogers/index.js';
import type { Distro } from './catalogers/os-release.js';
import { GoBinaryScanner, goPackages } from './catalogers/go.js';
import { RustBinaryScanner, rustPackages } from './catalogers/rust.js';
import { collectImageFiles, type FileView, type LayerLimits } from './layers.js';
import type { ImageConfigSummary, ImageSource } from './types.js';

/** A known vulnerability found in a package (filled in by the vulnerability matcher). */
export interface ImageFinding {
  id: string;
  aliases?: string[];
  package: CatalogPackage;
  severity?: string;
  fixedVersion?: string;
  /** Every version that fixes it, ascending. */
  fixedVersions?: string[];
  summary?: string;
  cvssScore?: number;
  /** True when a VEX statement says the package is not affected: kept and shown, never dropped. */
  suppressed?: boolean;
  vex?: { status: string; justification?: string; detail?: string; source: string };
}

/**
 * The seam to the vulnerability matcher: takes the packages of an image, returns findings.
 * The default finds nothing; `image scan` passes the matcher of src/vulndb once wired.
 */
export type MatchPackages = (packages: readonly CatalogPackage[]) => Promise<ImageFinding[]>;

/** The matcher used until one is given: no findings. */
export const NO_MATCHER: MatchPackages = () => Promise.resolve([]);

/** What scanning one image produced. */
export interface ImageScanResult {
  name: string;
  manifestDigest?: string;
  config: ImageConfigSummary;
  layers: string[];
  distro?: Distro;
  packages: CatalogPackage[];
  /** Wanted files left out by a size cap, so a short list is not mistaken for a clean one. */
  skipped: FileView['skipped'];
  findings: ImageFinding[];
}

/** Options of an image scan. */
export interface ScanImageOptions {
  limits?: Partial<LayerLimits>;
  catalogers?: readonly Cataloger[];
  /** Search executables for Go build info (default true). */
  goBinaries?: boolean;
  /** Search executables for cargo auditable data (default true). */
  rustBinaries?: boolean;
  match?: MatchPackages;
  onLayer?: (index: number, digest: string, bytes: number) => void;
}

/** Streams an image's layers, catalogs its packages and hands them to the matcher. */
export async function scanImage(
  source: ImageSource,
  options: ScanImageOptions = {},
): Promise<ImageScanResult> {
  const catalogers = options.catalogers ?? CATALOGERS;
  const goBinaries = new GoBinaryScanner();
  const rustBinaries = new RustBinaryScanner();
  const view = await collectImageFiles(source.layers, (d) => source.openBlob(d), {
    wants: (p) => wantedByCatalogers(p, catalogers),
    scanners: [
      ...(options.goBinaries === false ? [] : [goBinaries]),
      ...(options.rustBinaries === false ? [] : [rustBinaries]),
    ],
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.onLayer !== undefined ? { onLayer: options.onLayer } : {}),
  });
  const { distro, packages } = catalogPackages(view, catalogers);
  packages.push(
    ...(await catalogJavaArchives(view)),
    ...goPackages(goBinaries.found),
    ...rustPackages(rustBinaries.found),
  );
  // A binary whose audit data is malformed is named with the reason, not silently left out.
  for (const [path, e] of [...rustBinaries.errors].sort(([a], [b]) => a.localeCompare(b)))
    view.skipped.push({ path, layerDigest: e.layerDigest, reason: e.reason });
  const findings = await (options.match ?? NO_MATCHER)(packages);
  const result: ImageScanResult = {
    name: source.name,
    config: source.config,
    layers: source.layers.map((l) => l.digest),
    packages,
    skipped: view.skipped,
    findings,
  };
  if (source.manifestDigest !== undefined) result.manifestDigest = source.manifestDigest;
  if (distro !== undefined) result.distro = distro;
  return result;
}
