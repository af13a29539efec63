/**
 * Probe controls for long-running pods.
 *
 * - workload/liveness-probe: each regular container must declare `livenessProbe`.
 * - workload/readiness-probe: each regular container of a pod that a Service in its
 *   namespace selects must declare `readinessProbe`. Readiness only decides whether a pod
 *   receives a Service's traffic, so pods no Service selects (workers, controllers) are not
 *   asked for one; a Service without a selector selects nothing.
 * Pods that run to completion (`restartPolicy` Never or OnFailure, as every Job template
 * has) are not checked, nor are init and ephemeral containers (Kubernetes refuses probes on
 * ephemeral containers).
 */
import {
  containersOf,
  matchesLabelSelector,
  type Control,
  type Inventory,
  type PodTemplate,
} from '../../core/index.js';
import { bestPractice, containerName, isRecord } from '../support.js';

function longRunning(pod: PodTemplate): boolean {
  const policy = pod.spec['restartPolicy'];
  return policy === undefined || policy === 'Always';
}

/** Service selectors by namespace, built once per inventory. */
const SERVICE_SELECTORS = new WeakMap<Inventory, Map<string, Record<string, string>[]>>();

function serviceSelectors(inventory: Inventory, namespace: string): readonly Record<string, string>[] {
  let byNamespace = SERVICE_SELECTORS.get(inventory);
  if (!byNamespace) {
    byNamespace = new Map();
    for (const s of inventory.byKind('Service')) {
      const spec = s.object['spec'];
      const selector = isRecord(spec) ? spec['selector'] : undefined;
      if (!isRecord(selector) || Object.keys(selector).length === 0) continue;
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(selector)) if (typeof v === 'string') labels[k] = v;
      const ns = s.ref.namespace ?? 'default';
      const list = byNamespace.get(ns) ?? [];
      list.push(labels);
      byNamespace.set(ns, list);
    }
    SERVICE_SELECTORS.set(inventory, byNamespace);
  }
  return byNamespace.get(namespace) ?? [];
}

function behindService(inventory: Inventory, namespace: string, pod: PodTemplate): boolean {
  const labels = pod.metadata.labels ?? undefined;
  return serviceSelectors(inventory, namespace).some((matchLabels) =>
    matchesLabelSelector({ matchLabels }, labels),
  );
}

function probeControl(
  field: 'livenessProbe' | 'readinessProbe',
  id: string,
  title: string,
  rationale: string,
  onlyBehindService: boolean,
): Control {
  return {
    id,
    title,
    severity: 'low',
    category: 'workload',
    appliesTo: onlyBehindService ? { podTemplate: true, needsCluster: true } : { podTemplate: true },
    rationale,
    remediation: `Declare ${field} on every container (httpGet, tcpSocket, grpc or exec).`,
    frameworks: [bestPractice('probes')],
    check({ pod, resource, inventory }) {
      if (!pod || !longRunning(pod)) return [];
      if (onlyBehindService && !behindService(inventory, resource.ref.namespace ?? 'default', pod)) return [];
      return containersOf(pod)
        .filter(
          (c) =>
            c.field === 'containers' && (c.container[field] === undefined || c.container[field] === null),
        )
        .map((c) => ({ message: `container "${containerName(c)}" declares no ${field}`, path: c.path }));
    },
  };
}

export const livenessProbe = probeControl(
  'livenessProbe',
  'workload/liveness-probe',
  'Containers must declare a liveness probe',
  'Without a liveness probe a hung process keeps its pod and its traffic until someone notices.',
  false,
);

export const readinessProbe = probeControl(
  'readinessProbe',
  'workload/readiness-probe',
  'Containers behind a Service must declare a readiness probe',
  'Without a readiness probe a Service sends traffic to a container before it can serve, and during its failures.',
  true,
);
