/**
 * The upstream check registry and how a level and version select from it, as
 * pod-security-admission does: each check contributes its newest revision at or below the
 * version; restricted is every baseline check, minus those a restricted revision in force
 * overrides, plus the restricted checks. Checks are ordered baseline first, then restricted,
 * each by id, which is the order upstream reports them in.
 */
import { allowPrivilegeEscalation } from './allow-privilege-escalation.js';
import { appArmorProfile } from './app-armor-profile.js';
import { capabilitiesBaseline } from './capabilities-baseline.js';
import { capabilitiesRestricted } from './capabilities-restricted.js';
import { hostNamespaces } from './host-namespaces.js';
import { hostPathVolumes } from './host-path-volumes.js';
import { hostPorts } from './host-ports.js';
import { hostProbesAndHostLifecycle } from './host-probes-and-host-lifecycle.js';
import { privileged } from './privileged.js';
import { procMountRestricted } from './proc-mount-restricted.js';
import { procMount } from './proc-mount.js';
import { restrictedVolumes } from './restricted-volumes.js';
import { runAsNonRoot } from './run-as-non-root.js';
import { runAsUser } from './run-as-user.js';
import { seLinuxOptions } from './se-linux-options.js';
import { seccompProfileBaseline } from './seccomp-profile-baseline.js';
import { seccompProfileRestricted } from './seccomp-profile-restricted.js';
import type { PssCheck, PssCheckVersion, PssLevel } from './shared.js';
import { sysctls } from './sysctls.js';
import { effectiveMinor } from './version.js';
import { windowsHostProcess } from './windows-host-process.js';

const byId = (a: PssCheck, b: PssCheck): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const ALL = [
  appArmorProfile,
  capabilitiesBaseline,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  hostProbesAndHostLifecycle,
  privileged,
  procMount,
  seLinuxOptions,
  seccompProfileBaseline,
  sysctls,
  windowsHostProcess,
  allowPrivilegeEscalation,
  capabilitiesRestricted,
  procMountRestricted,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seccompProfileRestricted,
];

/** Every upstream check: baseline ones by id, then restricted ones by id. */
export const PSS_CHECKS: readonly PssCheck[] = [
  ...ALL.filter((c) => c.level === 'baseline').sort(byId),
  ...ALL.filter((c) => c.level === 'restricted').sort(byId),
];

/** A check with the revision in force at a version. */
export interface ResolvedCheck {
  check: PssCheck;
  revision: PssCheckVersion;
}

/** The revision of a check in force at a policy minor, or undefined before the check existed. */
function revisionAt(check: PssCheck, minor: number): PssCheckVersion | undefined {
  const v = effectiveMinor(minor);
  let found: PssCheckVersion | undefined;
  for (const r of check.versions) if (r.minVersion <= v) found = r;
  return found;
}

/** The checks, with their revisions, that make up a level at a policy minor. */
export function resolveChecks(level: PssLevel, minor: number): ResolvedCheck[] {
  const active: ResolvedCheck[] = [];
  for (const check of PSS_CHECKS) {
    const revision = revisionAt(check, minor);
    if (revision && (level === 'restricted' || check.level === 'baseline')) active.push({ check, revision });
  }
  if (level === 'baseline') return active;
  const overridden = new Set(
    active.filter((a) => a.check.level === 'restricted').flatMap((a) => a.revision.overrides ?? []),
  );
  return active.filter((a) => a.check.level === 'restricted' || !overridden.has(a.check.id));
}

/**
 * The version history of every check as a Markdown table (one row per revision), the part of
 * docs/pss.md a test keeps in step with these declarations.
 */
export function renderPssVersionTable(): string {
  const rows = [
    '| check | level | from | requires / changes | overrides |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const check of PSS_CHECKS) {
    for (const r of check.versions) {
      const overrides = (r.overrides ?? []).map((o) => `\`${o}\``).join(', ') || '—';
      rows.push(`| \`${check.id}\` | ${check.level} | v1.${r.minVersion} | ${r.change} | ${overrides} |`);
    }
  }
  return rows.join('\n');
}
