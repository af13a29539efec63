/**
 * Glue between a finished image scan and the history store: the shape `recordImageResult`
 * takes, built from what `image scan` and `registry watch` produce (pure), and the one line
 * the commands print when they recorded.
 */
import { createHash } from 'node:crypto';
import type { Severity } from '../../core/index.js';
import type { GateFinding } from '../../images/gate.js';
import type { ImageScanResult } from '../../images/index.js';
import type { ImageResultInput, ImageVulnerabilityInput } from '../../store/index.js';

/**
 * The store's severity of a vulnerability severity: the store keeps the five finding levels,
 * so `negligible` and `unknown` (or none given) count as `info`.
 */
export function storeSeverity(severity: string | undefined): Severity {
  switch (severity) {
    case 'critical':
    case 'high':
    case 'medium':
    case 'low':
      return severity;
    default:
      return 'info';
  }
}

/** The digest an image result is recorded under: the manifest's, else a hash of what was read (an SBOM). */
export function recordedDigest(result: ImageScanResult, content?: string): string {
  if (result.manifestDigest !== undefined) return result.manifestDigest;
  const h = createHash('sha256');
  if (content !== undefined) h.update(content);
  else for (const p of result.packages) h.update(`${p.purl}\n`);
  return `sha256:${h.digest('hex')}`;
}

/** What the store records for one `image scan` result (pure). */
export function imageResultInput(
  result: ImageScanResult,
  options: { ref: string; digest: string; scannedAt: number; vulnDbTime?: number; source: string },
): ImageResultInput {
  const vulnerabilities: ImageVulnerabilityInput[] = result.findings.map((f) => ({
    vulnId: f.id,
    aliases: f.aliases ?? [],
    package: f.package.name,
    version: f.package.version,
    fixedVersion: f.fixedVersion,
    severity: storeSeverity(f.severity),
    cvss: f.cvssScore,
    location: `${f.package.location.layerDigest ?? ''}:${f.package.location.path}`,
    suppressed:
      f.suppressed === true
        ? { justification: f.vex?.justification ?? f.vex?.detail ?? f.vex?.status ?? 'not_affected' }
        : undefined,
  }));
  const detail: Record<string, unknown> = { source: options.source, layers: result.layers };
  const platform = [result.config.os, result.config.architecture, result.config.variant].filter(
    (p) => p !== undefined && p !== '',
  );
  if (platform.length > 0) detail.platform = platform.join('/');
  if (result.skipped.length > 0) detail.skipped = result.skipped.length;
  return {
    digest: options.digest,
    ref: options.ref,
    scannedAt: options.scannedAt,
    os: result.distro?.prettyName,
    packages: result.packages.length,
    vulnDbTime: options.vulnDbTime,
    vulnerabilities,
    detail,
  };
}

/** Splits `name@version` at its last `@` (npm scopes start with one). */
function splitPackage(text: string): { package: string; version: string } {
  const at = text.lastIndexOf('@');
  return at <= 0
    ? { package: text, version: '' }
    : { package: text.slice(0, at), version: text.slice(at + 1) };
}

/** What the store records for one image `registry watch` scanned (pure). */
export function watchResultInput(r: {
  ref: string;
  digest: string;
  packages: number;
  findings: readonly GateFinding[];
  scannedAt: number;
  vulnDbTime?: number | undefined;
}): ImageResultInput {
  return {
    digest: r.digest,
    ref: r.ref,
    scannedAt: r.scannedAt,
    packages: r.packages,
    vulnDbTime: r.vulnDbTime,
    vulnerabilities: r.findings.map((f) => ({
      vulnId: f.id,
      aliases: f.aliases ?? [],
      ...splitPackage(f.package),
      fixedVersion: f.fixedVersion,
      severity: storeSeverity(f.severity),
      cvss: f.cvss,
      location: f.location ?? '',
    })),
    detail: { source: 'registry-watch' },
  };
}
