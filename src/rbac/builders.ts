import { Inventory, refOf, type KubeObject } from '../core/index.js';
import { buildRbacModel, type BuildRbacModelOptions, type RbacModel } from './model.js';

/** An inventory of in-memory objects (no source positions), for tests, benches and generators. */
export function inventoryOf(objects: readonly KubeObject[]): Inventory {
  const inv = new Inventory();
  for (const object of objects) inv.add({ object, ref: refOf(object) });
  return inv;
}

/** Builds the RBAC model of in-memory objects. */
export function modelOf(objects: readonly KubeObject[], options: BuildRbacModelOptions = {}): RbacModel {
  return buildRbacModel(inventoryOf(objects), options);
}

const V1 = 'rbac.authorization.k8s.io/v1';

/** A ClusterRole object. */
export function clusterRole(name: string, rules: unknown[], extra: Record<string, unknown> = {}): KubeObject {
  const { labels, ...rest } = extra;
  return {
    apiVersion: V1,
    kind: 'ClusterRole',
    metadata: { name, ...(labels ? { labels: labels as Record<string, string> } : {}) },
    rules,
    ...rest,
  };
}

/** A Role object. */
export function role(namespace: string, name: string, rules: unknown[]): KubeObject {
  return { apiVersion: V1, kind: 'Role', metadata: { name, namespace }, rules };
}

/** A binding subject object (apiGroup set as the API requires). */
export function subject(
  kind: 'User' | 'Group' | 'ServiceAccount',
  name: string,
  namespace?: string,
): Record<string, string> {
  return kind === 'ServiceAccount'
    ? { kind, name, ...(namespace !== undefined ? { namespace } : {}) }
    : { kind, name, apiGroup: 'rbac.authorization.k8s.io' };
}

/** A ClusterRoleBinding object. */
export function clusterRoleBinding(name: string, roleName: string, subjects: unknown[]): KubeObject {
  return {
    apiVersion: V1,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects,
  };
}

/** A RoleBinding object referring to a Role or a ClusterRole. */
export function roleBinding(
  namespace: string,
  name: string,
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string },
  subjects: unknown[],
): KubeObject {
  return {
    apiVersion: V1,
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
    subjects,
  };
}
