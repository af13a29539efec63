/**
 * The integration-test harness: a real kube-apiserver (built from k8s.io/kubernetes) with an
 * embedded etcd, started per test suite on free loopback ports. See docs/live-cluster.md.
 */
export {
  startCluster,
  eventually,
  renderKubeconfig,
  mergeFlags,
  HARNESS_ADMISSION_PLUGINS,
  type ClusterUser,
  type ServiceAccountUser,
  type StartClusterOptions,
  type TestCluster,
} from './cluster.js';
export { harnessStatus, harnessBinaryPath, harnessKubernetesVersion, goAvailable, inCI } from './status.js';
export { requireHarnessOrSkip, type HarnessGate } from './gate.js';
export { restClient, type RestCall } from './rest.js';
