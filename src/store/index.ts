export * from './types.js';
export { findingFingerprint, findingNamespace } from './fingerprint.js';
export { resolveStoreTarget, describeStoreTarget, parseScanRef, type ScanRef } from './target.js';
export { storeMigrations, type StoreDialect } from './migrations.js';
export { Store, type RecordedScan, type RecordScanOptions, type ScanUpdate } from './store.js';
export { openStore, migrateStore, type OpenStoreOptions } from './open.js';
export {
  compareImages,
  computeDrift,
  driftFailsOn,
  type DriftFinding,
  type DriftImage,
  type DriftReport,
  type ImageChange,
  type ImagesDrift,
  type DriftSide,
  type SubjectDrift,
} from './drift.js';
export { storeDecisionSink, type StoreDecisionSink, type StoreDecisionSinkOptions } from './decision-sink.js';
export { LastWriters, resourceOfKind, type ChangedBy } from './drift-audit.js';
