import type { KubeObject, ObjectMeta } from './types.js';
import { formatFieldPath, getAtPath, type PathSegment } from './field-path.js';

/**
 * Where each workload kind keeps its pod template. Shared code reads this table and never
 * branches on a kind itself; a new workload kind is one more row.
 */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly PathSegment[]>> = {
  Pod: [],
  PodTemplate: ['template'],
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** A loose view of a PodSpec: the fields controls read, unknown ones kept. */
export interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  ephemeralContainers?: ContainerLike[];
  volumes?: Record<string, unknown>[];
  securityContext?: Record<string, unknown>;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  hostUsers?: boolean;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  os?: { name?: string };
  [key: string]: unknown;
}

/** A loose view of a container. */
export interface ContainerLike {
  name?: string;
  image?: string;
  securityContext?: Record<string, unknown>;
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
  ports?: Record<string, unknown>[];
  env?: Record<string, unknown>[];
  [key: string]: unknown;
}

/** The pod template of a workload, with the field paths of its metadata and spec. */
export interface PodTemplate {
  metadata: ObjectMeta;
  spec: PodSpecLike;
  /** Field path of the pod metadata, e.g. `spec.template.metadata` (`metadata` for a Pod). */
  metadataPath: string;
  /** Field path of the pod spec, e.g. `spec.template.spec` (`spec` for a Pod). */
  specPath: string;
}

/** Container lists of a pod spec, in the order controls report them. */
export const CONTAINER_FIELDS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/** The kinds that carry a pod template (Pod included). */
export function podTemplateKinds(): readonly string[] {
  return Object.keys(POD_TEMPLATE_PATHS);
}

/** Returns true when objects of this kind carry a pod template. */
export function hasPodTemplate(kind: string): boolean {
  return Object.hasOwn(POD_TEMPLATE_PATHS, kind);
}

/** The field paths of each kind's pod metadata and spec, formatted once per kind. */
const TEMPLATE_FIELD_PATHS = new Map<string, { metadataPath: string; specPath: string }>();

function templateFieldPaths(
  kind: string,
  base: readonly PathSegment[],
): { metadataPath: string; specPath: string } {
  let paths = TEMPLATE_FIELD_PATHS.get(kind);
  if (!paths) {
    paths = {
      metadataPath: formatFieldPath([...base, 'metadata']),
      specPath: formatFieldPath([...base, 'spec']),
    };
    TEMPLATE_FIELD_PATHS.set(kind, paths);
  }
  return paths;
}

/** Extracts the pod template of a workload object, or undefined for other kinds or a missing spec. */
export function podTemplateOf(obj: KubeObject): PodTemplate | undefined {
  if (!Object.hasOwn(POD_TEMPLATE_PATHS, obj.kind)) return undefined;
  const base = POD_TEMPLATE_PATHS[obj.kind] ?? [];
  const template = base.length === 0 ? obj : getAtPath(obj, base);
  if (template === null || typeof template !== 'object') return undefined;
  const t = template as { metadata?: unknown; spec?: unknown };
  if (t.spec === null || typeof t.spec !== 'object') return undefined;
  const metadata = t.metadata !== null && typeof t.metadata === 'object' ? (t.metadata as ObjectMeta) : {};
  const { metadataPath, specPath } = templateFieldPaths(obj.kind, base);
  return { metadata, spec: t.spec as PodSpecLike, metadataPath, specPath };
}

/** One container of a pod spec with its field path. */
export interface ContainerEntry {
  container: ContainerLike;
  field: (typeof CONTAINER_FIELDS)[number];
  index: number;
  /** Full field path of the container, e.g. `spec.template.spec.containers[1]`. */
  path: string;
}

/**
 * Where a pod template object keeps its container list once built. The engine hands one
 * template object to every control evaluating a resource, so the entries (and their path
 * strings) are built once. A symbol-keyed slot on the template rather than a WeakMap: a
 * WeakMap entry keeps its value alive through young-generation collections, so every
 * request's short-lived lists were promoted to the old generation (admission decide() ran
 * 70 µs instead of 39 µs, most of the difference in full collections).
 */
const CONTAINERS_KEY = Symbol('containers');

/**
 * Lists every container (init, regular, ephemeral) of a pod template with its path. The
 * entries and the array (read-only) are shared between calls for the same template object, so the
 * dozens of controls that read one workload build and copy nothing.
 */
export function containersOf(pod: PodTemplate): readonly ContainerEntry[] {
  const holder = pod as unknown as { [CONTAINERS_KEY]?: readonly ContainerEntry[] };
  let entries = holder[CONTAINERS_KEY];
  if (!entries) {
    entries = listContainers(pod);
    holder[CONTAINERS_KEY] = entries;
  }
  return entries;
}

function listContainers(pod: PodTemplate): ContainerEntry[] {
  const out: ContainerEntry[] = [];
  for (const field of CONTAINER_FIELDS) {
    const list = pod.spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((container, index) => {
      if (container !== null && typeof container === 'object') {
        out.push({ container, field, index, path: `${pod.specPath}.${field}[${index}]` });
      }
    });
  }
  return out;
}
