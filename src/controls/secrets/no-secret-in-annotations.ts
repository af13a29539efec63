/**
 * secrets/no-secret-in-annotations — annotations must not hold credentials.
 *
 * Fails for each annotation of any object but a Secret whose key and value `detectSecret`
 * recognises (a known token format, a password in a URL, or a literal under a
 * credential-sounding annotation name such as `example.com/db-password`). Annotations are
 * returned by every `get` and `list` of the object, copied into audit logs and tools' caches.
 * `kubectl.kubernetes.io/last-applied-configuration` is skipped: it repeats the object's own
 * fields, which the other secrets controls judge where they are.
 */
import type { InventoryControl, Violation } from '../../core/index.js';
import { formatFieldPath } from '../../core/index.js';
import { isRecord, mitre, nsa } from '../support.js';
import { detectSecret } from './patterns.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export const noSecretInAnnotations: InventoryControl = {
  id: 'secrets/no-secret-in-annotations',
  title: 'Annotations must not contain credentials',
  severity: 'high',
  category: 'secrets',
  appliesTo: { inventory: true, perObject: true },
  rationale:
    'Annotations are readable by everyone who can read the object and are copied into audit logs, caches and dashboards.',
  remediation:
    'Move the value into a Secret (or an external secret store), reference it by name, and rotate it: it has been exposed.',
  frameworks: [nsa('Network separation and hardening: secrets'), mitre('T1552.001')],
  checkInventory(inventory) {
    const out: Violation[] = [];
    for (const resource of inventory.resources) {
      if (resource.ref.kind === 'Secret') continue;
      const annotations = resource.object.metadata?.annotations;
      if (!isRecord(annotations)) continue;
      for (const [key, value] of Object.entries(annotations)) {
        if (key === LAST_APPLIED || typeof value !== 'string') continue;
        const kind = detectSecret(key, value);
        if (kind)
          out.push({
            message: `annotation ${key} holds a credential (${kind})`,
            path: formatFieldPath(['metadata', 'annotations', key]),
            resource,
          });
      }
    }
    return out;
  },
};
