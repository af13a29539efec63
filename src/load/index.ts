export { parseManifests, type ParsedManifests } from './manifests.js';
export { loadFiles, decodeUtf8, type LoadFilesOptions, type LoadFilesResult } from './files.js';
export { MAX_ALIAS_EXPANSION } from './yaml-documents.js';
export {
  checkObjectShape,
  checkResources,
  type CheckedResources,
  type ShapeIssue,
  type ShapeResult,
} from './shape-check.js';
export { localNodeFs, MAX_NODE_FILE_BYTES, type NodeFs, type NodeStat } from './node-fs.js';
export { readUnitCommand, parseEnvFile, splitWords, UNIT_DIRS, type UnitCommand } from './node-systemd.js';
export {
  componentFactsFromPod,
  readNodeFacts,
  KUBEADM_LAYOUT,
  type NodeLayout,
  type ReadNodeOptions,
} from './node-root.js';
export { componentWorkloads, nodeFactsFromCluster, type ClusterNodeOptions } from './node-cluster.js';
export {
  readCluster,
  discoverTypes,
  sanitizeObject,
  factsFromInventory,
  collectionPath,
  DUPLICATE_TYPES,
  backoff,
  type ApiResourceType,
  type ClusterRetry,
  type ClusterScopeError,
  type ClusterReadResult,
  type ReadClusterOptions,
  type LiveClusterFacts,
  type NodeFacts,
} from './cluster.js';
export {
  connectCluster,
  parseRequestTimeout,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ClusterConnection,
  type ClusterTransport,
  type ConnectClusterOptions,
  type HttpReply,
} from './cluster-http.js';
export {
  assembleSnapshot,
  encodeSnapshot,
  decodeSnapshot,
  readSnapshot,
  writeSnapshot,
  type ClusterSnapshot,
  type LoadedSnapshot,
} from './snapshot.js';
export {
  loadKubeconfig,
  checkKubeconfigFiles,
  yamlFieldAt,
  redact,
  type CheckedKubeconfig,
} from './kubeconfig.js';
