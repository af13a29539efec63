export type {
  Audit,
  Benchmark,
  BenchmarkSection,
  CheckStatus,
  CisCheck,
  CompareOp,
  ComponentName,
  FileSetName,
  StatLine,
  TestItem,
  Tests,
} from './types.js';
export { COMPARE_OPS, COMPONENTS } from './types.js';
export { compareValues, type CompareResult } from './compare.js';
export {
  GoFloat,
  formatGoFloat,
  formatGoValue,
  fromJson,
  type ConfigMap,
  type ConfigValue,
} from './config-value.js';
export { executeJsonPath, parseJsonPath, type JsonPath } from './jsonpath.js';
export {
  argvFlags,
  brokenConfig,
  decodeConfig,
  documentConfig,
  envVars,
  textConfig,
  textEnv,
  textFlags,
  type ConfigLookup,
  type EnvLookup,
  type FlagLookup,
  type Lookup,
} from './lookup.js';
export {
  evaluateTests,
  statusOf,
  statusWithoutAudit,
  type AuditData,
  type ItemResult,
  type ItemSource,
  type TestsOutcome,
} from './evaluate.js';
export {
  COMPONENT_BINARIES,
  FILE_SET_DESCRIPTIONS,
  type CertificateFacts,
  type ComponentFacts,
  type AuthenticationConfigFacts,
  type EncryptionFacts,
  type FileFacts,
  type NodeFacts,
} from './facts.js';
export {
  emptyStatusCounts,
  evaluateBenchmark,
  type BenchmarkResult,
  type CheckResult,
  type EvaluateBenchmarkOptions,
  type Evidence,
  type StatusCounts,
} from './assemble.js';
export { evaluateApiServerFlags, evaluateComponentFlags, type ComponentFlagsOptions } from './live.js';
export {
  COMPONENT_POD_LABELS,
  componentWorkloadFindings,
  evaluateComponentWorkloads,
  type ComponentWorkload,
  type ComponentWorkloadResult,
} from './workloads.js';
export {
  NODE_API_VERSION,
  checkMessage,
  controlIdOf,
  severityOf,
  toFindings,
  toReportControls,
  type CheckControl,
} from './findings.js';
export {
  NODE_CONTROLS,
  certificateBlocks,
  evaluateNodeControls,
  nodeControlFindings,
  nodeControlMetadata,
  type CertificateValidity,
  type NodeControl,
  type NodeControlOptions,
  type NodeControlResult,
  type NodeControlStatus,
} from './node-controls.js';
export { CIS_1_10 } from './cis-1.10/index.js';
import { CIS_1_10 } from './cis-1.10/index.js';
import type { Benchmark } from './types.js';

/** Benchmarks Palisade can evaluate, by the name `--benchmark` takes. */
export const BENCHMARKS: Readonly<Record<string, Benchmark>> = { 'cis-1.10': CIS_1_10 };
