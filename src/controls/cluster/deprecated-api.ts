/**
 * cluster/deprecated-api — manifests must not use deprecated or removed API versions.
 *
 * Looks up each object's apiVersion and kind in REMOVED_APIS. With a target version (see
 * cluster/version-eol), an API removed at or before it is `high` (the object cannot be
 * applied), one only deprecated is `low`, one deprecated later is not reported. Without a
 * target version every listed API is reported as `high`: all of them are removed in every
 * supported Kubernetes release. Path `apiVersion`.
 */
import type { InventoryControl, Violation } from '../../core/index.js';
import { nsa } from '../support.js';
import { targetVersion } from './version-eol.js';
import { REMOVED_APIS, minorNumber, minorOf, type RemovedApi } from './versions.js';

const INDEX = new Map<string, RemovedApi>(REMOVED_APIS.map((a) => [`${a.apiVersion} ${a.kind}`, a]));

export const deprecatedApi: InventoryControl = {
  id: 'cluster/deprecated-api',
  title: 'Manifests must not use deprecated or removed API versions',
  severity: 'high',
  category: 'cluster',
  appliesTo: { inventory: true, perObject: true },
  rationale:
    'Objects written against removed APIs fail to apply after an upgrade; teams then delay upgrades and stay on unpatched versions.',
  remediation:
    'Migrate the manifest to the replacement API version (kubectl convert or the migration guide).',
  // No ATT&CK technique: a removed API blocks upgrades, it is not itself exploitable.
  frameworks: [nsa('Upgrading and application security practices')],
  checkInventory(inventory, settings) {
    const version = targetVersion(inventory.facts, settings);
    const target = version !== undefined ? minorOf(version) : undefined;
    const out: Violation[] = [];
    for (const resource of inventory.resources) {
      const api = INDEX.get(`${resource.ref.apiVersion} ${resource.ref.kind}`);
      if (!api) continue;
      const removed = target === undefined || minorNumber(api.removedIn) <= target;
      const deprecated = target !== undefined && minorNumber(api.deprecatedIn) <= target;
      if (!removed && !deprecated) continue;
      out.push({
        message: `${api.apiVersion} ${api.kind} is ${removed ? `removed since Kubernetes ${api.removedIn}` : `deprecated since ${api.deprecatedIn} and removed in ${api.removedIn}`}; use ${api.replacement}`,
        path: 'apiVersion',
        resource,
        severity: removed ? 'high' : 'low',
      });
    }
    return out;
  },
};
