export { ConnSet, parseConnSet, PROTOCOLS, isProtocol, type Protocol, type PortRange } from './conn-set.js';
export {
  parseCidr,
  parseIp,
  formatIpRange,
  ipAtoms,
  type IpSet,
  type IpAtom,
  type IpFamily,
} from './ip-set.js';
export {
  compilePolicies,
  selectorKey,
  DEFAULT_NAMESPACE,
  type CompiledPolicies,
  type CompiledPolicy,
  type CompiledRule,
  type CompiledPeer,
  type CompiledPorts,
  type PolicyIssue,
} from './policy.js';
export {
  buildModel,
  buildModelOf,
  modelKey,
  modelReadsKind,
  type ModelOptions,
  NetworkModel,
  peerName,
  type Endpoint,
  type NamespaceInfo,
  type WorkloadInfo,
} from './model.js';
export {
  Analysis,
  resolvePorts,
  ipBlocksOf,
  type AnalysisOptions,
  type Granularity,
  type Connection,
  type PeerOrder,
} from './engine.js';
export {
  analyzeInventory,
  networkFindingsOf,
  type InventoryAnalysis,
  type InventoryAnalysisOptions,
} from './analyze.js';
export { ipBlocksMatchPods } from './pod-ips.js';
export {
  networkFindings,
  networkViolations,
  NETWORK_CHECKS,
  type NetworkFindingOptions,
  type NetworkCheck,
  type NetworkViolation,
} from './findings.js';
export {
  explainConnection,
  formatExplanation,
  type Explanation,
  type DirectionExplanation,
  type RuleMatch,
} from './explain.js';
export {
  connList,
  connLines,
  mergeLines,
  writeConnList,
  sortLines,
  parseConnListText,
  formatConnListText,
  formatConnListJson,
  formatConnListCsv,
  formatConnListDot,
  formatConnListHtml,
  type ConnLine,
  type StreamFormat,
} from './connlist.js';
export {
  parseFlows,
  parseFlowRecord,
  detectFlowFormat,
  looksLikeFlows,
  type Flow,
  type FlowEndpoint,
  type FlowIssue,
  type FlowFormat,
} from './flows.js';
export {
  generatePolicies,
  stageGeneratedPolicies,
  analysisWith,
  type GenerateOptions,
  type GenerateResult,
  type StagedReport,
  type BlockedFlow,
  type ClosedPath,
  type ResolvedFlow,
} from './generate.js';
export {
  diffInventories,
  exposureSentence,
  formatDiffText,
  formatDiffCsv,
  formatDiffSarif,
  type NetpolDiff,
  type ConnDiff,
  type Attribution,
} from './diff.js';
export { ingressControllerLines, INGRESS_CONTROLLER } from './ingress.js';
export {
  compareObserved,
  formatObservedText,
  formatObservedJson,
  formatObservedCsv,
  observedGraph,
  type ObservedReport,
  type ObservedPair,
  type ObservedVerdict,
  type GapPair,
  type CompareOptions,
} from './observed.js';
export {
  resolveFlows,
  withObservedPeers,
  Resolver,
  OBSERVED_ONLY,
  type ObservedPeer,
  type ResolveOptions,
} from './resolve.js';
export {
  namespaceIsolation,
  namespaceIsolationOf,
  ISOLATION_LIMIT,
  type NamespaceIsolation,
  type IsolationSummary,
} from './isolation.js';
