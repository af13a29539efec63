/**
 * secrets/secrets-as-files — Secrets should be mounted as files, not exposed as env vars.
 *
 * Fails for each `env[].valueFrom.secretKeyRef` and each `envFrom[].secretRef` of any
 * container. Environment variables leak into child processes, crash dumps and debug
 * endpoints, and cannot be rotated without a restart.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';
import { cis, containerName, isRecord, mitre, nsa, text } from '../support.js';

export const secretsAsFiles: Control = {
  id: 'secrets/secrets-as-files',
  title: 'Secrets should be mounted as files rather than environment variables',
  severity: 'low',
  category: 'secrets',
  appliesTo: { podTemplate: true },
  rationale: 'Environment variables are inherited by every child process and often printed by diagnostics.',
  remediation:
    'Mount the Secret as a volume (optionally with items and defaultMode 0400) and read it from the file.',
  frameworks: [cis('5.4.1'), nsa('Network separation and hardening: secrets'), mitre('T1552.007')],
  check({ pod }) {
    if (!pod) return [];
    const out: Violation[] = [];
    for (const c of containersOf(pod)) {
      (c.container.env ?? []).forEach((e, i) => {
        const from = e?.valueFrom;
        if (isRecord(from) && isRecord(from.secretKeyRef))
          out.push({
            message: `container "${containerName(c)}" reads Secret ${text(from.secretKeyRef.name)} into ${text(e.name)}`,
            path: `${c.path}.env[${i}].valueFrom.secretKeyRef`,
          });
      });
      const envFrom = c.container['envFrom'];
      if (Array.isArray(envFrom))
        envFrom.forEach((e: unknown, i) => {
          if (isRecord(e) && isRecord(e.secretRef))
            out.push({
              message: `container "${containerName(c)}" imports Secret ${text(e.secretRef.name)} as environment`,
              path: `${c.path}.envFrom[${i}].secretRef`,
            });
        });
    }
    return out;
  },
};
