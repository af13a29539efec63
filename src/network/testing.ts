/** In-memory builders for network tests (not exported from index.ts). */
import { Inventory, refOf, type KubeObject } from '../core/index.js';

/** Builds an inventory from plain objects. */
export function inventoryOf(objects: readonly KubeObject[]): Inventory {
  const inv = new Inventory();
  for (const object of objects) inv.add({ object, ref: refOf(object) });
  return inv;
}

/** A Namespace with labels. */
export function ns(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/** A Pod with labels and optional named container ports and IP. */
export function pod(
  name: string,
  namespace: string,
  labels: Record<string, string> = {},
  ports: { name: string; containerPort: number; protocol?: string }[] = [],
  ip?: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'c', image: 'img:1', ports }] },
    ...(ip ? { status: { podIP: ip } } : {}),
  };
}

/** A NetworkPolicy with the given spec. */
export function netpol(name: string, namespace: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}
