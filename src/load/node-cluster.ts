/**
 * Node facts from what a live cluster shows: the kube-system static pods of each control
 * plane node (their `command`, `args` and `env`), kube-proxy's pods, and each kubelet's
 * configuration as served by `/api/v1/nodes/<node>/proxy/configz`. Files are not visible from
 * the API, so file checks are skipped for such nodes.
 */
import type { ComponentFacts, ComponentName, ConfigValue, NodeFacts } from '../controls/index.js';
import type { Resource } from '../core/index.js';
import { componentFactsFromPod } from './node-root.js';

/** Labels that identify a component's pod: kubeadm's `component`, kube-proxy's `k8s-app`. */
const POD_LABELS: readonly { component: ComponentName; label: string; value: string; container: string }[] = [
  { component: 'apiserver', label: 'component', value: 'kube-apiserver', container: 'kube-apiserver' },
  {
    component: 'controllermanager',
    label: 'component',
    value: 'kube-controller-manager',
    container: 'kube-controller-manager',
  },
  { component: 'scheduler', label: 'component', value: 'kube-scheduler', container: 'kube-scheduler' },
  { component: 'etcd', label: 'component', value: 'etcd', container: 'etcd' },
  { component: 'proxy', label: 'k8s-app', value: 'kube-proxy', container: 'kube-proxy' },
];

/** Options of nodeFactsFromCluster. */
export interface ClusterNodeOptions {
  /** Each node's kubelet configuration (the `kubeletconfig` object of its configz), by node name. */
  kubeletConfigs?: Readonly<Record<string, ConfigValue>>;
}

/** Groups kube-system component pods (and kubelet configz documents) into facts per node name. */
export function nodeFactsFromCluster(
  pods: readonly Resource[],
  options: ClusterNodeOptions = {},
): Map<string, NodeFacts> {
  const nodes = new Map<string, NodeFacts>();
  const factsOf = (node: string): NodeFacts => {
    let f = nodes.get(node);
    if (!f) {
      f = { components: {}, files: {}, issues: [] };
      nodes.set(node, f);
    }
    return f;
  };
  for (const pod of pods) {
    if (pod.object.kind !== 'Pod' || pod.ref.namespace !== 'kube-system') continue;
    const labels = pod.object.metadata?.labels ?? {};
    const match = POD_LABELS.find((p) => labels[p.label] === p.value);
    const node = (pod.object.spec as { nodeName?: unknown } | undefined)?.nodeName;
    if (!match || typeof node !== 'string') continue;
    factsOf(node).components[match.component] = componentFactsFromPod(pod, match.container);
  }
  for (const [node, config] of Object.entries(options.kubeletConfigs ?? {})) {
    const kubelet: ComponentFacts = {
      source: `nodes/${node}/proxy/configz`,
      args: [],
      config: { path: `nodes/${node}/proxy/configz`, value: config },
    };
    factsOf(node).components.kubelet = kubelet;
  }
  return nodes;
}
