export type { CatalogPackage } from '../vulndb/package.js';
export {
  LayerError,
  parsePlatform,
  formatPlatform,
  type ImageSource,
  type LayerDescriptor,
  type ImageConfigSummary,
  type Platform,
} from './types.js';
export {
  collectImageFiles,
  lookupFile,
  normalizeEntryName,
  resolveLinkTarget,
  DEFAULT_LAYER_LIMITS,
  type LayerLimits,
  type FileView,
  type ImageFile,
  type CollectOptions,
} from './layers.js';
export { parseManifest, selectFromIndex, MEDIA_TYPES } from './manifest.js';
export { openOciLayout, openDockerArchive, type LocalSourceOptions } from './local-sources.js';
export {
  CATALOGERS,
  catalogPackages,
  readDistro,
  parseDpkgStatus,
  parseApkInstalled,
  parsePackageLock,
  parseInstalledPackageJson,
  parsePythonMetadata,
  parseOsRelease,
  distroEcosystem,
  type Cataloger,
  type Distro,
} from './catalogers/index.js';
export {
  scanImage,
  NO_MATCHER,
  type ImageScanResult,
  type ImageFinding,
  type MatchPackages,
  type ScanImageOptions,
} from './scan.js';
export { parseImageReference, formatImageReference, type ImageReference } from './reference.js';
export {
  resolveRegistryCredentials,
  credentialSourceFromDockerConfig,
  parseHelperOutput,
  type RegistryCredentials,
} from './credentials.js';
export {
  openRegistryImage,
  RegistryClient,
  parseChallenge,
  defaultBlobCacheDir,
  type RegistryOptions,
} from './registry.js';
export {
  renderCycloneDx,
  renderSpdx,
  readSbom,
  ecosystemFromPurl,
  type SbomFormat,
  type SbomTool,
} from './sbom.js';
export {
  judgeImages,
  findingsOverThreshold,
  registryAllowed,
  type GateAction,
  type GateFinding,
  type ImageFacts,
  type ImageGateCode,
  type ImageGatePolicy,
  type ImageUse,
  type ImageViolation,
  type ScanVerdict,
  type SignatureVerdict,
  type VulnerabilityThreshold,
} from './gate.js';
export { VerdictStore, defaultVerdictStorePath, seenChannelName, storeFacts } from './verdict-store.js';
export { ImageGateJob, type GateJobEvent, type GateJobOptions, type GateJobPorts } from './gate-job.js';
export {
  collectWorkloadImages,
  planImageScans,
  groupByDigest,
  imageFindings,
  countedVulnerabilities,
  findingSeverityOf,
  tagKey,
  IMAGE_CONTROLS,
  MAX_IMAGE_REFERENCE_LENGTH,
  type WorkloadImageUse,
  type ImageReferencePlan,
  type ImageScanPlan,
  type DigestGroup,
  type ImageOutcome,
  type ImageFindingOptions,
} from './workload-images.js';
export {
  scanWorkloadImages,
  mapLimit,
  type WorkloadImagePorts,
  type WorkloadScanOptions,
  type WorkloadImageScan,
  type WorkloadImageSummary,
  type ScannedImage,
  type UnscannedImage,
} from './workload-scan.js';
