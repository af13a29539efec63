/**
 * secrets/no-secret-in-configmap — ConfigMaps must not hold credentials.
 *
 * Fails for each `data` entry of a ConfigMap that `detectSecret` recognises: a known token
 * format, a password in a URL, a literal under a credential-sounding key (`db_password`), or
 * such a `key = value` line inside a file kept in the ConfigMap. ConfigMaps are readable by
 * far more subjects than Secrets, are not encrypted at rest by default and are logged in
 * full. Messages never repeat the value.
 */
import type { Control, Violation } from '../../core/index.js';
import { formatFieldPath } from '../../core/index.js';
import { cis, isRecord, mitre, nsa } from '../support.js';
import { detectSecret } from './patterns.js';

export const noSecretInConfigMap: Control = {
  id: 'secrets/no-secret-in-configmap',
  title: 'ConfigMaps must not contain credentials',
  severity: 'high',
  category: 'secrets',
  appliesTo: { kinds: ['ConfigMap'] },
  rationale:
    'ConfigMaps are meant to be widely readable; a credential there leaks to every reader of configuration.',
  remediation:
    'Move the value into a Secret or an external secret store, and rotate it: it has been exposed.',
  frameworks: [cis('5.4.1'), nsa('Network separation and hardening: secrets'), mitre('T1552.001')],
  check({ resource }) {
    const data = resource.object['data'];
    if (!isRecord(data)) return [];
    const out: Violation[] = [];
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== 'string') continue;
      const kind = detectSecret(key, value);
      if (kind)
        out.push({
          message: `key ${key} holds a credential (${kind})`,
          path: formatFieldPath(['data', key]),
        });
    }
    return out;
  },
};
