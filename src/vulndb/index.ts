/**
 * The vulnerability database and matcher: OSV records imported into SQLite, version ordering
 * per ecosystem, matching of catalogued packages with alias merging, CVSS scores and VEX.
 */
export type { CatalogPackage } from './package.js';
export {
  VulnDb,
  openVulnDb,
  resolveVulnDbPath,
  parseDuration,
  vulnDbAgeWarning,
  IMPORT_HINT,
  type VulnDbStatus,
  type ImportEntry,
  type ImportCounts,
} from './db.js';
export {
  importOsv,
  DEFAULT_IMPORT_LIMITS,
  type ImportIssue,
  type ImportLimits,
  type ImportOptions,
  type ImportReport,
  type OsvSink,
} from './import.js';
export { downloadToTemp, isUrl, type DownloadOptions } from './update.js';
export {
  matchPackages,
  memoryVulnSource,
  type MatchOptions,
  type VulnSource,
  type VulnerabilityMatch,
  type AppliedVex,
} from './match.js';
export {
  parseOsvRecord,
  ecosystemKey,
  packageKey,
  type OsvRecord,
  type OsvAffected,
  type OsvRange,
} from './osv.js';
export { evaluateAffected, inRange, type AffectedResult } from './affected.js';
export {
  cvssBaseScore,
  severityOfScore,
  severityOfWord,
  VULN_SEVERITIES,
  type CvssScore,
  type VulnSeverity,
} from './cvss.js';
export { parseVexDocument, type VexStatement, type VexStatus } from './vex.js';
export { readVexFile } from './vex-file.js';
export { parsePurl, purlCovers } from './purl.js';
export { versionSchemeFor, ecosystemBase, type VersionScheme } from './versions/index.js';
