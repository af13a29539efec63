import type { KubeObject, Resource, ResourceRef } from './types.js';

/** Facts about the cluster that are not objects (version, nodes' configuration, scan date). */
export interface ClusterFacts {
  kubernetesVersion?: string;
  /** ISO date the assessment is made for; controls that depend on time read this, not the clock. */
  scanDate?: string;
  [key: string]: unknown;
}

/** Builds the reference of a parsed object. */
export function refOf(obj: KubeObject): ResourceRef {
  const meta = obj.metadata ?? {};
  const name =
    typeof meta.name === 'string'
      ? meta.name
      : typeof meta.generateName === 'string'
        ? `${meta.generateName}*`
        : '';
  const ref: ResourceRef = { apiVersion: obj.apiVersion, kind: obj.kind, name };
  if (typeof meta.namespace === 'string' && meta.namespace !== '') ref.namespace = meta.namespace;
  return ref;
}

/** Returns the API group of an apiVersion (`apps/v1` → `apps`, `v1` → ``). */
export function apiGroupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Changes kept for {@link Inventory.changesSince}. */
const JOURNAL_LIMIT = 1024;

function key(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

/**
 * An indexed set of objects plus cluster facts. Indexes by kind, namespace, identity and
 * owner are built as objects are added, so lookups never scan the whole set.
 */
export class Inventory {
  readonly resources: Resource[] = [];
  facts: ClusterFacts = {};
  private readonly byKindIndex = new Map<string, Resource[]>();
  private readonly byNamespaceIndex = new Map<string, Resource[]>();
  private readonly byKey = new Map<string, Resource>();
  private readonly byOwnerIndex = new Map<string, Resource[]>();
  private changes = 0;
  /**
   * The last changes (revision after the change, added or removed object), at most
   * `JOURNAL_LIMIT`: caches keyed on the revision catch up from here instead of starting over.
   */
  private readonly journal: { revision: number; added: boolean; resource: Resource }[] = [];
  private journalStart = 0;

  /** Adds one object; a later object with the same kind, namespace and name replaces the index entry. */
  add(resource: Resource): void {
    this.changes++;
    this.record(true, resource);
    this.resources.push(resource);
    const { kind, namespace, name } = resource.ref;
    push(this.byKindIndex, kind, resource);
    push(this.byNamespaceIndex, namespace ?? '', resource);
    this.byKey.set(key(kind, namespace, name), resource);
    // Objects come from users and requests: a malformed owner list indexes nothing, it does
    // not stop the object from being evaluated.
    const owners: unknown = resource.object.metadata?.ownerReferences;
    if (Array.isArray(owners)) {
      for (const owner of owners as unknown[]) {
        if (owner === null || typeof owner !== 'object') continue;
        const { kind: ownerKind, name: ownerName } = owner as { kind?: unknown; name?: unknown };
        if (typeof ownerKind === 'string' && typeof ownerName === 'string')
          push(this.byOwnerIndex, key(ownerKind, namespace, ownerName), resource);
      }
    }
  }

  /**
   * Removes one object added before (watch mode); returns false when it is not there. The
   * index entry of its identity goes only when it points at this object.
   */
  remove(resource: Resource): boolean {
    if (!drop(this.resources, resource)) return false;
    this.changes++;
    this.record(false, resource);
    const { kind, namespace, name } = resource.ref;
    dropFrom(this.byKindIndex, kind, resource);
    dropFrom(this.byNamespaceIndex, namespace ?? '', resource);
    const k = key(kind, namespace, name);
    if (this.byKey.get(k) === resource) this.byKey.delete(k);
    const owners: unknown = resource.object.metadata?.ownerReferences;
    if (Array.isArray(owners)) {
      for (const owner of owners as unknown[]) {
        if (owner === null || typeof owner !== 'object') continue;
        const { kind: ownerKind, name: ownerName } = owner as { kind?: unknown; name?: unknown };
        if (typeof ownerKind === 'string' && typeof ownerName === 'string')
          dropFrom(this.byOwnerIndex, key(ownerKind, namespace, ownerName), resource);
      }
    }
    return true;
  }

  /** A number that changes whenever an object is added or removed (for caches keyed on the inventory). */
  get revision(): number {
    return this.changes;
  }

  /**
   * The objects added and removed after `revision`, in order, or undefined when the journal
   * no longer reaches back that far (the caller starts over). An object added and removed in
   * that span appears in both lists.
   */
  changesSince(revision: number): { added: Resource[]; removed: Resource[] } | undefined {
    if (revision > this.changes || revision < this.journalStart) return undefined;
    const added: Resource[] = [];
    const removed: Resource[] = [];
    for (const c of this.journal) {
      if (c.revision <= revision) continue;
      (c.added ? added : removed).push(c.resource);
    }
    return { added, removed };
  }

  private record(added: boolean, resource: Resource): void {
    // A bulk load never needs the journal: drop it in halves rather than one entry at a time.
    if (this.journal.length >= JOURNAL_LIMIT) {
      this.journal.splice(0, JOURNAL_LIMIT / 2);
      this.journalStart = (this.journal[0]?.revision ?? this.changes) - 1;
    }
    this.journal.push({ revision: this.changes, added, resource });
  }

  /** All objects of one kind. */
  byKind(kind: string): readonly Resource[] {
    return this.byKindIndex.get(kind) ?? [];
  }

  /** All objects in one namespace (`''` for cluster-scoped ones). */
  inNamespace(namespace: string): readonly Resource[] {
    return this.byNamespaceIndex.get(namespace) ?? [];
  }

  /** The object with this kind, namespace and name, if present. */
  get(kind: string, namespace: string | undefined, name: string): Resource | undefined {
    return this.byKey.get(key(kind, namespace, name));
  }

  /** Objects whose ownerReferences name the given object. */
  ownedBy(ref: ResourceRef): readonly Resource[] {
    return this.byOwnerIndex.get(key(ref.kind, ref.namespace, ref.name)) ?? [];
  }

  /** Names of every namespace seen: declared Namespace objects and namespaces used by objects. */
  namespaces(): string[] {
    const names = new Set<string>();
    for (const r of this.byKind('Namespace')) names.add(r.ref.name);
    for (const ns of this.byNamespaceIndex.keys()) if (ns !== '') names.add(ns);
    return [...names].sort();
  }

  /** Number of objects. */
  get size(): number {
    return this.resources.length;
  }
}

function drop<V>(list: V[], v: V): boolean {
  const i = list.lastIndexOf(v);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

function dropFrom<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (!list) return;
  drop(list, v);
  if (list.length === 0) map.delete(k);
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}
