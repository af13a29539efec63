/**
 * Node facts from what a live cluster shows: the kube-system static pods of each control
 * plane node (their `command`, `args` and `env`), kube-proxy's pods, and each kubelet's
 * configuration as served by `/api/v1/nodes/<node>/proxy/configz`. Files are not visible from
 * the API, so file checks are skipped for such nodes.
 */
import {
  COMPONENT_POD_LABELS,
  decodeConfig,
  type ComponentFacts,
  type ComponentWorkload,
  type ConfigValue,
  type NodeFacts,
} from '../controls/index.js';
import { podTemplateOf, type Inventory, type Resource } from '../core/index.js';
import { commandLineOf, componentFactsFromPod, lastFlag } from './node-root.js';

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
    const match = COMPONENT_POD_LABELS.find((p) => labels[p.label] === p.value);
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

const SYSTEM_NAMESPACE = 'kube-system';

/** True when a controller of the Pod (its ReplicaSet, DaemonSet…) is in the inventory too. */
function controllerInInventory(pod: Resource, inventory: Inventory): boolean {
  const owners = pod.object.metadata?.ownerReferences ?? [];
  return owners.some(
    (o) =>
      o.controller === true &&
      o.kind !== 'Node' &&
      inventory.get(o.kind, pod.ref.namespace, o.name) !== undefined,
  );
}

interface VolumeMount {
  name?: unknown;
  mountPath?: unknown;
  subPath?: unknown;
}
interface ConfigMapVolume {
  name?: unknown;
  configMap?: { name?: unknown; items?: unknown };
}

/** The ConfigMap key a file of a configMap volume holds (`items` map keys to paths). */
function keyOfPath(volume: ConfigMapVolume, relative: string): string | undefined {
  const items = volume.configMap?.items;
  if (Array.isArray(items)) {
    const item = (items as { key?: unknown; path?: unknown }[]).find((i) => i.path === relative);
    return typeof item?.key === 'string' ? item.key : undefined;
  }
  return relative.includes('/') ? undefined : relative;
}

/**
 * The component's `--config` file when the workload mounts it from a ConfigMap (kubeadm's
 * kube-proxy: `--config=/var/lib/kube-proxy/config.conf` from ConfigMap kube-proxy, key
 * config.conf), decoded from the ConfigMap in the inventory; undefined when the file comes
 * from elsewhere (a hostPath is only visible on the node).
 */
function configFromConfigMap(
  workload: Resource,
  container: Record<string, unknown>,
  volumes: readonly ConfigMapVolume[],
  file: string,
  inventory: Inventory,
): ComponentFacts['config'] | undefined {
  const mounts = Array.isArray(container.volumeMounts) ? (container.volumeMounts as VolumeMount[]) : [];
  for (const m of mounts) {
    if (typeof m.mountPath !== 'string' || typeof m.name !== 'string') continue;
    const volume = volumes.find((v) => v.name === m.name);
    const name = volume?.configMap?.name;
    if (!volume || typeof name !== 'string') continue;
    let key: string | undefined;
    if (typeof m.subPath === 'string' && m.subPath !== '') {
      if (file === m.mountPath) key = keyOfPath(volume, m.subPath);
    } else {
      const dir = m.mountPath.endsWith('/') ? m.mountPath : `${m.mountPath}/`;
      if (file.startsWith(dir)) key = keyOfPath(volume, file.slice(dir.length));
    }
    if (key === undefined) continue;
    const ns = workload.ref.namespace ?? SYSTEM_NAMESPACE;
    const path = `ConfigMap ${ns}/${name} key ${key} (${file})`;
    const cm = inventory.get('ConfigMap', ns, name);
    if (!cm) return { path, error: `ConfigMap ${ns}/${name} is not in the inventory` };
    const text = (cm.object as { data?: Record<string, unknown> }).data?.[key];
    if (typeof text !== 'string') return { path, error: `ConfigMap ${ns}/${name} has no key ${key}` };
    const decoded = decodeConfig(text);
    return decoded.ok ? { path, value: decoded.value } : { path, error: decoded.error };
  }
  return undefined;
}

/**
 * The control-plane components an inventory holds as objects in kube-system: static Pods
 * (kubeadm's `component` label) and kube-proxy's DaemonSet or Pods (`k8s-app: kube-proxy`), a
 * Pod being skipped when its controller is in the inventory (the DaemonSet answers for it).
 * Their command lines, and kube-proxy's config file when a ConfigMap holds it, are what the
 * CIS flag checks read; positions come with objects read from files.
 */
export function componentWorkloads(inventory: Inventory): ComponentWorkload[] {
  const out: ComponentWorkload[] = [];
  for (const resource of inventory.inNamespace(SYSTEM_NAMESPACE)) {
    const template = podTemplateOf(resource.object);
    const labels = template?.metadata.labels ?? {};
    const match = COMPONENT_POD_LABELS.find((p) => labels[p.label] === p.value);
    if (!template || !match) continue;
    if (resource.ref.kind === 'Pod' && controllerInInventory(resource, inventory)) continue;
    const line = commandLineOf(resource, match.container, resource.source?.file);
    if (!line) continue;
    const configFile = lastFlag(line.facts.args, '--config');
    const volumes = Array.isArray(template.spec.volumes) ? (template.spec.volumes as ConfigMapVolume[]) : [];
    const config =
      configFile !== undefined
        ? configFromConfigMap(resource, line.container, volumes, configFile, inventory)
        : undefined;
    out.push({
      resource,
      component: match.component,
      facts: config ? { ...line.facts, config } : line.facts,
      argPaths: line.argPaths,
      commandPath: line.commandPath,
    });
  }
  return out;
}
