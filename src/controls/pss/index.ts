/**
 * Pod Security Standards, to the letter: the 19 upstream pod-security-admission checks as
 * Palisade controls, for `baseline` and `restricted` at every policy version (v1.0 to the
 * newest, and `latest`). Control ids are `pss/<upstream check id>`; messages are upstream's
 * `reason (detail)` text; each violation points at an offending field.
 */
import type { CatalogEntry, Control, PodTemplate, Violation } from '../../core/index.js';
import { PSS_CHECKS, resolveChecks, type ResolvedCheck } from './registry.js';
import { PssPod, type PssLevel } from './shared.js';
import { effectiveMinor, parsePolicyVersion } from './version.js';

export type { PssLevel } from './shared.js';

/** A level and a policy version (`v1.29` or `latest`) to evaluate pods against. */
export interface PssSelection {
  level: PssLevel;
  version: string /* 'v1.29' or 'latest' */;
}

/** Every upstream check id, baseline ones first, in the order upstream reports them. */
export const PSS_CHECK_IDS: readonly string[] = PSS_CHECKS.map((c) => c.id);

const LEVELS: readonly PssLevel[] = ['baseline', 'restricted'];

/** Parses the part after "pss:", e.g. "baseline@v1.29", "restricted", "restricted@latest". */
export function parsePssFramework(
  spec: string,
): { ok: true; value: PssSelection } | { ok: false; error: string } {
  const at = spec.indexOf('@');
  const level = at < 0 ? spec : spec.slice(0, at);
  const version = at < 0 ? 'latest' : spec.slice(at + 1);
  if (level === 'privileged')
    return { ok: false, error: 'pss level "privileged" has no checks: use baseline or restricted' };
  if (!(LEVELS as readonly string[]).includes(level))
    return { ok: false, error: `unknown pss level "${level}": use baseline or restricted` };
  if (parsePolicyVersion(version) === undefined)
    return { ok: false, error: `invalid pss version "${version}": use v1.<minor> (e.g. v1.29) or latest` };
  return { ok: true, value: { level: level as PssLevel, version } };
}

/** The controls that make up a level at a version (restricted includes baseline, minus overridden checks). */
export function pssControls(level: PssLevel, version: string): CatalogEntry[] {
  const minor = parsePolicyVersion(version);
  if (minor === undefined || !(LEVELS as readonly string[]).includes(level))
    throw new Error(`invalid pss selection ${level}@${version}`);
  const key = `${level}@${effectiveMinor(minor)}`;
  let controls = CONTROLS.get(key);
  if (!controls) {
    controls = resolveChecks(level, minor).map((r) => toControl(level, r));
    CONTROLS.set(key, controls);
  }
  return [...controls];
}

const CONTROLS = new Map<string, Control[]>();

/**
 * One read-only view per pod template: the engine hands the same template object to every
 * control of a resource, so the container list and path segments are built once, not per
 * check. Kept in a symbol-keyed slot of the template, not a WeakMap (see `containersOf`).
 */
const PSS_KEY = Symbol('pssPod');

function pssPodOf(template: PodTemplate): PssPod {
  const holder = template as unknown as { [PSS_KEY]?: PssPod };
  let pod = holder[PSS_KEY];
  if (!pod) {
    pod = new PssPod(template);
    holder[PSS_KEY] = pod;
  }
  return pod;
}

function toControl(level: PssLevel, { check, revision }: ResolvedCheck): Control {
  return {
    id: `pss/${check.id}`,
    title: check.title,
    severity: check.severity,
    category: 'pss',
    appliesTo: { podTemplate: true },
    rationale: check.rationale,
    remediation: check.remediation,
    frameworks: [{ id: 'pss', control: `${level}:${check.id}` }, ...check.refs],
    check({ pod: template }): Violation[] {
      if (!template) return [];
      const pod = pssPodOf(template);
      const denial = revision.check(pod);
      if (!denial) return [];
      const message = denial.detail === '' ? denial.reason : `${denial.reason} (${denial.detail})`;
      const paths = denial.paths.length > 0 ? denial.paths : [pod.specPath()];
      return paths.map((path) => ({ message, path }));
    },
  };
}
