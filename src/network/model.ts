/**
 * The peers of a reachability analysis: namespaces with their labels, pods (from Pod objects
 * and from workload templates) and workloads (the pods of one controller), indexed by label
 * so a selector is matched against a few candidates, never against every pod.
 */
import {
  CONTAINER_FIELDS,
  hasPodTemplate,
  matchesLabelSelector,
  podTemplateOf,
  type Inventory,
  type Resource,
} from '../core/index.js';
import { isProtocol, type Protocol } from './conn-set.js';
import { DEFAULT_NAMESPACE, type CompiledSelector } from './policy.js';

/** A container port a pod exposes by name. */
export interface ContainerPort {
  port: number;
  protocol: Protocol;
}

/** One pod (or one workload's representative pod): what policies can select and resolve. */
export interface Endpoint {
  /** Index in the analysis' endpoint list. */
  index: number;
  namespace: string;
  /** Namespace index in the model. */
  ns: number;
  /** Pod name, or workload name at workload granularity. */
  name: string;
  /** `Pod`, or the owning controller's kind. */
  kind: string;
  labels: Readonly<Record<string, string>>;
  /** Named container ports (a name may map to several ports across containers). */
  namedPorts: ReadonlyMap<string, readonly ContainerPort[]>;
  /** Pod IPs, when known (from `status.podIPs`). */
  ips: readonly string[];
  /** The object the endpoint comes from. */
  resource: Resource;
  /** Workload this pod belongs to (its index in the workload list). */
  workload: number;
}

/** A namespace with its labels (always including `kubernetes.io/metadata.name`). */
export interface NamespaceInfo {
  index: number;
  name: string;
  labels: Record<string, string>;
}

/** A workload: pods from one controller, named `ns/name[Kind]` as np-guard does. */
export interface WorkloadInfo {
  index: number;
  namespace: string;
  name: string;
  kind: string;
  resource: Resource;
  pods: number[];
}

/** Formats a workload or pod as np-guard's connlist does: `namespace/name[Kind]`. */
export function peerName(e: { namespace: string; name: string; kind: string }): string {
  return `${e.namespace}/${e.name}[${e.kind}]`;
}

/** Replica counts read from a workload's spec; at least one pod is modelled per workload. */
const REPLICA_FIELDS: Readonly<Record<string, string>> = {
  Deployment: 'replicas',
  ReplicaSet: 'replicas',
  StatefulSet: 'replicas',
  ReplicationController: 'replicas',
  Job: 'parallelism',
};

/** Upper bound on pods modelled per workload template (keeps pod level bounded). */
const MAX_TEMPLATE_PODS = 50;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Bucket of the label indexes that span every namespace. */
const ALL_NAMESPACES = -1;

/** Label index over a list of labelled items, per namespace. */
class LabelIndex {
  private readonly byNs = new Map<
    number,
    { all: number[]; pairs: Map<string, number[]>; keys: Map<string, number[]> }
  >();

  add(ns: number, id: number, labels: Readonly<Record<string, string>>): void {
    let entry = this.byNs.get(ns);
    if (!entry) {
      entry = { all: [], pairs: new Map(), keys: new Map() };
      this.byNs.set(ns, entry);
    }
    entry.all.push(id);
    for (const k in labels) {
      if (!Object.hasOwn(labels, k)) continue;
      push(entry.pairs, `${k}=${labels[k]}`, id);
      push(entry.keys, k, id);
    }
  }

  /** Candidates for a selector: the smallest posting list its positive requirements allow. */
  candidates(ns: number, sel: CompiledSelector): readonly number[] {
    const entry = this.byNs.get(ns);
    if (!entry) return [];
    let best: readonly number[] = entry.all;
    const consider = (list: readonly number[]): void => {
      if (list.length < best.length) best = list;
    };
    for (const [k, v] of Object.entries(sel.selector.matchLabels ?? {}))
      consider(entry.pairs.get(`${k}=${v}`) ?? []);
    for (const req of sel.selector.matchExpressions ?? []) {
      if (req.operator === 'Exists') consider(entry.keys.get(req.key) ?? []);
      else if (req.operator === 'In') {
        const values = req.values ?? [];
        if (values.length === 1) consider(entry.pairs.get(`${req.key}=${values[0] ?? ''}`) ?? []);
        else consider(entry.keys.get(req.key) ?? []);
      }
    }
    return best;
  }
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const l = map.get(k);
  if (l) l.push(v);
  else map.set(k, [v]);
}

/** Everything the engine needs about the cluster's pods and namespaces. */
export class NetworkModel {
  readonly namespaces: NamespaceInfo[] = [];
  readonly pods: Endpoint[] = [];
  readonly workloads: WorkloadInfo[] = [];
  private readonly nsByName = new Map<string, number>();
  private readonly podIndex = new LabelIndex();
  /**
   * Pods of every namespace, in one bucket (for selectors applied across namespaces); built
   * on first use, since many analyses never apply a pod selector across namespaces.
   */
  private clusterPodIndex?: LabelIndex;
  private namespaceIndexByLabel = new LabelIndex();
  private namespacesIndexed = 0;
  private readonly podsByNs = new Map<number, number[]>();
  private readonly selectCache = new Map<string, readonly number[]>();
  private readonly nsSelectCache = new Map<string, readonly number[]>();
  private readonly namespaceObjects = new Map<string, Resource>();

  /** Index of a namespace, created with only its name label when not declared. */
  namespaceIndex(name: string, labels?: Record<string, string>): number {
    let i = this.nsByName.get(name);
    if (i === undefined) {
      i = this.namespaces.length;
      this.namespaces.push({ index: i, name, labels: { ...labels, 'kubernetes.io/metadata.name': name } });
      this.nsByName.set(name, i);
    } else if (labels) {
      const ns = this.namespaces[i] as NamespaceInfo;
      ns.labels = { ...ns.labels, ...labels, 'kubernetes.io/metadata.name': name };
      // Labels changed: selections made so far are stale.
      this.nsSelectCache.clear();
      this.namespaceIndexByLabel = new LabelIndex();
      this.namespacesIndexed = 0;
    }
    return i;
  }

  /** The Namespace object declaring a namespace, if the inventory has one. */
  namespaceResource(name: string): Resource | undefined {
    return this.namespaceObjects.get(name);
  }

  /** Records the Namespace object of a namespace. */
  setNamespaceResource(name: string, r: Resource): void {
    this.namespaceObjects.set(name, r);
  }

  /** The namespace with this name, if any pod or Namespace object mentioned it. */
  findNamespace(name: string): number | undefined {
    return this.nsByName.get(name);
  }

  addPod(pod: Omit<Endpoint, 'index' | 'ns'>): Endpoint {
    const ns = this.namespaceIndex(pod.namespace);
    const e: Endpoint = {
      index: this.pods.length,
      namespace: pod.namespace,
      ns,
      name: pod.name,
      kind: pod.kind,
      labels: pod.labels,
      namedPorts: pod.namedPorts,
      ips: pod.ips,
      resource: pod.resource,
      workload: pod.workload,
    };
    this.pods.push(e);
    this.podIndex.add(ns, e.index, e.labels);
    this.clusterPodIndex?.add(ALL_NAMESPACES, e.index, e.labels);
    push(this.podsByNs, ns, e.index);
    return e;
  }

  /** Pods of one namespace. */
  podsIn(ns: number): readonly number[] {
    return this.podsByNs.get(ns) ?? [];
  }

  /** Pods of namespace `ns` matching a selector (cached per selector and namespace). */
  selectPods(ns: number, sel: CompiledSelector): readonly number[] {
    if (sel.matchesAll) return this.podsIn(ns);
    const key = `${ns}\u0000${sel.key}`;
    let hit = this.selectCache.get(key);
    if (!hit) {
      hit = this.podIndex
        .candidates(ns, sel)
        .filter((id) => matchesLabelSelector(sel.selector, (this.pods[id] as Endpoint).labels));
      this.selectCache.set(key, hit);
    }
    return hit;
  }

  /**
   * Pods of any namespace that may match a selector: the smallest posting list its positive
   * requirements allow (every pod when it has none). Callers still match each candidate.
   */
  podCandidatesAnywhere(sel: CompiledSelector): readonly number[] {
    if (!this.clusterPodIndex) {
      this.clusterPodIndex = new LabelIndex();
      for (const p of this.pods) this.clusterPodIndex.add(ALL_NAMESPACES, p.index, p.labels);
    }
    return this.clusterPodIndex.candidates(ALL_NAMESPACES, sel);
  }

  /** Namespaces matching a selector (ascending; candidates from a label index). */
  selectNamespaces(sel: CompiledSelector): readonly number[] {
    let hit = this.nsSelectCache.get(sel.key);
    if (!hit) {
      // Index the namespaces added since the last selection.
      for (; this.namespacesIndexed < this.namespaces.length; this.namespacesIndexed++) {
        const n = this.namespaces[this.namespacesIndexed] as NamespaceInfo;
        this.namespaceIndexByLabel.add(ALL_NAMESPACES, n.index, n.labels);
      }
      hit = this.namespaceIndexByLabel
        .candidates(ALL_NAMESPACES, sel)
        .filter((i) => matchesLabelSelector(sel.selector, (this.namespaces[i] as NamespaceInfo).labels));
      this.nsSelectCache.set(sel.key, hit);
    }
    return hit;
  }

  /** True when namespace `ns` matches a selector (no index needed for one namespace). */
  namespaceMatches(sel: CompiledSelector, ns: number): boolean {
    if (sel.matchesAll) return true;
    const info = this.namespaces[ns];
    return info !== undefined && matchesLabelSelector(sel.selector, info.labels);
  }
}

/** No named port: one shared empty table (most pods name none). */
const NO_PORTS: ReadonlyMap<string, readonly ContainerPort[]> = new Map();

function namedPortsOf(spec: Record<string, unknown>): ReadonlyMap<string, readonly ContainerPort[]> {
  let out: Map<string, ContainerPort[]> | undefined;
  // The containers `containersOf` lists, read directly: no field paths are needed here.
  for (const field of CONTAINER_FIELDS) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    for (const container of list as unknown[]) {
      if (!isRecord(container)) continue;
      // Objects that did not pass the loader's schema check (an embedding program's inventory) may
      // hold anything here: `ports: {}` appears in published pod lists.
      const ports: unknown = container.ports;
      if (!Array.isArray(ports)) continue;
      for (const p of ports as unknown[]) {
        if (!isRecord(p) || typeof p.name !== 'string' || typeof p.containerPort !== 'number') continue;
        const proto = typeof p.protocol === 'string' && isProtocol(p.protocol) ? p.protocol : 'TCP';
        push((out ??= new Map<string, ContainerPort[]>()), p.name, {
          port: p.containerPort,
          protocol: proto,
        });
      }
    }
  }
  return out ?? NO_PORTS;
}

function podIps(obj: Record<string, unknown>): string[] {
  const status = obj.status;
  if (!isRecord(status)) return [];
  const ips = new Set<string>();
  if (typeof status.podIP === 'string' && status.podIP !== '') ips.add(status.podIP);
  if (Array.isArray(status.podIPs)) {
    for (const p of status.podIPs) if (isRecord(p) && typeof p.ip === 'string') ips.add(p.ip);
  }
  return [...ips];
}

/** Pods in phase Succeeded or Failed run no containers: they are not peers of any connection. */
function isCompletedPod(obj: Record<string, unknown>): boolean {
  const status = obj.status;
  return isRecord(status) && (status.phase === 'Succeeded' || status.phase === 'Failed');
}

/** A Job whose `Complete` or `Failed` condition is true has no pods left running. */
function isFinishedJob(obj: Record<string, unknown>): boolean {
  const status = obj.status;
  if (!isRecord(status) || !Array.isArray(status.conditions)) return false;
  return status.conditions.some(
    (c) => isRecord(c) && (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

/**
 * The controller a pod is grouped under: the owner reference with `controller: true`, else
 * the first one. A static pod's mirror is owned by its Node: each static pod is its own
 * workload (as every other tool names it), not one `[Node]` workload per node.
 */
function controllerOf(
  owners: readonly { kind?: unknown; name?: unknown; controller?: unknown }[],
): { kind: string; name: string } | undefined {
  const owner = owners.find((o) => o.controller === true) ?? owners[0];
  if (!owner || owner.kind === 'Node' || typeof owner.name !== 'string' || owner.name === '')
    return undefined;
  // An owner without a kind still groups its pods (np-guard names the group `[Pod]`).
  return { kind: typeof owner.kind === 'string' && owner.kind !== '' ? owner.kind : 'Pod', name: owner.name };
}

/** Options of {@link buildModel}. */
export interface ModelOptions {
  /**
   * One pod per workload template instead of one per replica. Replicas of a template are
   * identical pods: an analysis at workload granularity gives the same answers with one.
   */
  onePodPerTemplate?: boolean;
}

/** True for the kinds the model reads (see {@link modelKey}). */
export function modelReadsKind(kind: string): boolean {
  return (
    kind === 'Namespace' ||
    kind === 'NetworkPolicy' ||
    kind === 'Pod' ||
    (kind !== 'PodTemplate' && hasPodTemplate(kind))
  );
}

/**
 * Builds the model from an inventory. A Pod is grouped under its controller (the owner
 * reference with `controller: true`, else the first one); a workload object (Deployment,
 * DaemonSet, …) contributes template pods unless Pod objects it owns are present. Pods on
 * the host network are modelled like any other pod (the API leaves their treatment to the
 * network plugin; np-guard does the same).
 */
export function buildModel(inventory: Inventory, options: ModelOptions = {}): NetworkModel {
  return buildModelOf(inventory.resources, options);
}

/** {@link buildModel} over a list of objects (no inventory indexes needed). */
export function buildModelOf(resources: readonly Resource[], options: ModelOptions = {}): NetworkModel {
  const model = new NetworkModel();
  const namespaces: Resource[] = [];
  const pods: Resource[] = [];
  for (const r of resources) {
    if (r.ref.kind === 'Namespace') namespaces.push(r);
    else if (r.ref.kind === 'Pod') pods.push(r);
  }
  for (const r of namespaces) {
    const labels = r.object.metadata?.labels;
    model.namespaceIndex(r.ref.name, isRecord(labels) ? labels : {});
    model.setNamespaceResource(r.ref.name, r);
  }
  const workloadByKey = new Map<string, number>();
  const workloadOf = (namespace: string, name: string, kind: string, resource: Resource): number => {
    const key = `${namespace}\u0000${kind}\u0000${name}`;
    let w = workloadByKey.get(key);
    if (w === undefined) {
      w = model.workloads.length;
      model.workloads.push({ index: w, namespace, name, kind, resource, pods: [] });
      workloadByKey.set(key, w);
    }
    return w;
  };

  const ownedWorkloads = new Set<string>();
  for (const r of pods) {
    const meta = r.object.metadata ?? {};
    const namespace = r.ref.namespace ?? DEFAULT_NAMESPACE;
    const spec = isRecord(r.object.spec) ? r.object.spec : {};
    if (isCompletedPod(r.object)) {
      // Still counts as owned: its finished Job or ReplicaSet must not come back as a template pod.
      const o = controllerOf(meta.ownerReferences ?? []);
      if (o) ownedWorkloads.add(`${namespace}\u0000${o.kind}\u0000${o.name}`);
      continue;
    }
    const owner = controllerOf(meta.ownerReferences ?? []);
    const kind = owner ? owner.kind : 'Pod';
    const wname = owner ? owner.name : r.ref.name;
    if (owner) ownedWorkloads.add(`${namespace}\u0000${kind}\u0000${wname}`);
    const w = workloadOf(namespace, wname, kind, r);
    const e = model.addPod({
      namespace,
      name: r.ref.name,
      kind: 'Pod',
      labels: isRecord(meta.labels) ? meta.labels : {},
      namedPorts: namedPortsOf(spec),
      ips: podIps(r.object),
      resource: r,
      workload: w,
    });
    model.workloads[w]?.pods.push(e.index);
  }

  for (const r of resources) {
    const kind = r.object.kind;
    if (kind === 'Pod' || kind === 'PodTemplate' || !hasPodTemplate(kind)) continue;
    if (kind === 'Job' && isFinishedJob(r.object)) continue;
    const namespace = r.ref.namespace ?? DEFAULT_NAMESPACE;
    if (ownedWorkloads.has(`${namespace}\u0000${kind}\u0000${r.ref.name}`)) continue;
    const tpl = podTemplateOf(r.object);
    if (!tpl) continue;
    const w = workloadOf(namespace, r.ref.name, kind, r);
    const spec = isRecord(r.object.spec) ? r.object.spec : {};
    const field = REPLICA_FIELDS[kind];
    const wanted = field !== undefined && typeof spec[field] === 'number' ? spec[field] : 1;
    const replicas = options.onePodPerTemplate
      ? 1
      : Math.min(MAX_TEMPLATE_PODS, Math.max(1, Math.floor(wanted)));
    const labels = isRecord(tpl.metadata.labels) ? tpl.metadata.labels : {};
    const namedPorts = namedPortsOf(tpl.spec);
    for (let i = 0; i < replicas; i++) {
      const e = model.addPod({
        namespace,
        name: replicas === 1 ? r.ref.name : `${r.ref.name}-${i}`,
        kind: 'Pod',
        labels,
        namedPorts,
        ips: [],
        resource: r,
        workload: w,
      });
      model.workloads[w]?.pods.push(e.index);
    }
  }
  return model;
}

/**
 * What the model (and the compiled policies) read of one object, as a string: two versions
 * of an object with equal keys give every analysis the same answer, except for which object
 * a finding names. Undefined for kinds the model never reads (a ConfigMap, a Role). Watch
 * mode compares keys to skip analyses a change cannot affect (a new image, a status update,
 * a scaled Deployment: replicas only multiply identical pods).
 */
export function modelKey(r: Resource): string | undefined {
  const obj = r.object;
  const kind = obj.kind;
  const namespace = r.ref.namespace ?? DEFAULT_NAMESPACE;
  if (kind === 'Namespace') {
    const labels = obj.metadata?.labels;
    return JSON.stringify(['ns', r.ref.name, isRecord(labels) ? labels : {}]);
  }
  if (kind === 'NetworkPolicy')
    return JSON.stringify(['np', obj.apiVersion, namespace, r.ref.name, obj.spec ?? null]);
  if (kind === 'Pod') {
    const meta = obj.metadata ?? {};
    const spec = isRecord(obj.spec) ? obj.spec : {};
    return JSON.stringify([
      'pod',
      namespace,
      r.ref.name,
      controllerOf(meta.ownerReferences ?? []) ?? null,
      isCompletedPod(obj),
      isRecord(meta.labels) ? meta.labels : {},
      [...namedPortsOf(spec)],
      podIps(obj),
    ]);
  }
  if (!modelReadsKind(kind)) return undefined;
  const tpl = podTemplateOf(obj);
  if (!tpl) return JSON.stringify([kind, namespace, r.ref.name, 'no template']);
  return JSON.stringify([
    kind,
    namespace,
    r.ref.name,
    kind === 'Job' && isFinishedJob(obj),
    isRecord(tpl.metadata.labels) ? tpl.metadata.labels : {},
    [...namedPortsOf(tpl.spec)],
  ]);
}
