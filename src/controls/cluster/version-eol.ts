/**
 * cluster/version-eol — the cluster must run a Kubernetes minor version still supported
 * upstream.
 *
 * The version is the inventory's `kubernetesVersion` fact (live scans) or the setting
 * `kubernetesVersion` (manifest scans); the date is the inventory's `scanDate` fact (the
 * `--scan-date` input, today by default), so results are reproducible. Fails when the minor
 * is older than the table or its end-of-support date is before the scan date; a version the
 * table does not know yet passes. With no version at all (a manifest scan without
 * `kubernetesVersion` in its configuration) or one that cannot be read, the control reports
 * an `info` finding saying it could not judge, never a silent pass; scores count such a
 * control as not judged (see frameworks/scoring.ts). The finding is about the cluster itself
 * (reference `Cluster cluster`, path `kubernetesVersion`).
 */
import type { InventoryControl } from '../../core/index.js';
import { mitre, nsa, stringSetting } from '../support.js';
import { KUBERNETES_EOL, OLDEST_TRACKED_MINOR, minorOf } from './versions.js';

/** The cluster as the subject of a finding. */
export const CLUSTER_RESOURCE = {
  object: { apiVersion: 'palisade.dev/v1', kind: 'Cluster', metadata: { name: 'cluster' } },
  ref: { apiVersion: 'palisade.dev/v1', kind: 'Cluster', name: 'cluster' },
} as const;

/** The Kubernetes version a scan targets: the live fact, else the setting. */
export function targetVersion(
  facts: { kubernetesVersion?: string },
  settings: Readonly<Record<string, unknown>>,
): string | undefined {
  return facts.kubernetesVersion ?? stringSetting(settings, 'kubernetesVersion');
}

export const versionEol: InventoryControl = {
  id: 'cluster/version-eol',
  title: 'The cluster must run a supported Kubernetes version',
  severity: 'high',
  category: 'cluster',
  appliesTo: { inventory: true, reads: [] },
  rationale:
    'A minor version past its end of life receives no security fixes: every later Kubernetes CVE stays open.',
  remediation: 'Upgrade the control plane and nodes to a supported minor version (one minor at a time).',
  frameworks: [nsa('Upgrading and application security practices'), mitre('T1190')],
  checkInventory(inventory, settings) {
    const version = targetVersion(inventory.facts, settings);
    const date = inventory.facts.scanDate;
    if (date === undefined) return [];
    const resource = { object: { ...CLUSTER_RESOURCE.object }, ref: { ...CLUSTER_RESOURCE.ref } };
    const minor = version === undefined ? undefined : minorOf(version);
    if (version === undefined || minor === undefined)
      return [
        {
          message:
            version === undefined
              ? 'could not judge version currency: no Kubernetes version known; scan the cluster (--cluster) or set kubernetesVersion in the --config file'
              : `could not judge version currency: "${version}" is not a Kubernetes version`,
          path: 'kubernetesVersion',
          resource,
          severity: 'info',
        },
      ];
    const eol = KUBERNETES_EOL[`1.${minor}`];
    if (minor < OLDEST_TRACKED_MINOR || (eol !== undefined && eol < date.slice(0, 10)))
      return [
        {
          message: `Kubernetes ${version} reached end of life${eol ? ` on ${eol}` : ''} (scan date ${date.slice(0, 10)})`,
          path: 'kubernetesVersion',
          resource,
        },
      ];
    return [];
  },
};
