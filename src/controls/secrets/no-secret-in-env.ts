/**
 * secrets/no-secret-in-env — credentials must not be written as literal env values.
 *
 * Fails for each `env[].value` of any container (init, regular, ephemeral) that
 * `detectSecret` recognises: a known token format, a password in a URL, or a non-empty
 * literal of any length under a credential-sounding variable name (`DB_PASSWORD`,
 * `AWS_SECRET_ACCESS_KEY`, …). `valueFrom` is never flagged. The value lives in the
 * manifest, in `kubectl get -o yaml`, and in every copy of both; messages never repeat it.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';
import { cis, containerName, mitre, nsa } from '../support.js';
import { detectSecret } from './patterns.js';

export const noSecretInEnv: Control = {
  id: 'secrets/no-secret-in-env',
  title: 'Credentials must not be literal environment values',
  severity: 'critical',
  category: 'secrets',
  appliesTo: { podTemplate: true },
  rationale:
    'A literal value is readable by everyone who can read the workload object or its source repository.',
  remediation:
    'Move the value into a Secret (or an external secret store) and reference it with valueFrom.secretKeyRef, better still mount it as a file.',
  frameworks: [cis('5.4.1'), nsa('Network separation and hardening: secrets'), mitre('T1552.001')],
  check({ pod }) {
    if (!pod) return [];
    const out: Violation[] = [];
    for (const c of containersOf(pod)) {
      (c.container.env ?? []).forEach((e, i) => {
        const name = typeof e?.name === 'string' ? e.name : '';
        const value = e?.value;
        if (typeof value !== 'string') return;
        const kind = detectSecret(name, value);
        if (kind)
          out.push({
            message: `container "${containerName(c)}" sets ${name} to a literal credential (${kind})`,
            path: `${c.path}.env[${i}].value`,
          });
      });
    }
    return out;
  },
};
