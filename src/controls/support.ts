/**
 * Small helpers shared by the built-in control families: framework references and the
 * effective security settings of a container (container value over pod value).
 */
import type { ContainerEntry, FrameworkRef, PodTemplate } from '../core/index.js';

/** Framework ids a control may map to. */
export const FRAMEWORK_IDS = {
  cis: 'cis-1.10',
  nsa: 'nsa-cisa-1.2',
  mitre: 'mitre-attack',
  bestPractices: 'best-practices',
} as const;

/** A CIS Kubernetes Benchmark v1.10 recommendation, e.g. `cis('5.2.2')`. */
export function cis(control: string): FrameworkRef {
  return { id: FRAMEWORK_IDS.cis, control };
}

/** A section of the NSA/CISA Kubernetes Hardening Guidance v1.2. */
export function nsa(control: string): FrameworkRef {
  return { id: FRAMEWORK_IDS.nsa, control };
}

/** A MITRE ATT&CK for Containers technique id, e.g. `mitre('T1611')`. */
export function mitre(control: string): FrameworkRef {
  return { id: FRAMEWORK_IDS.mitre, control };
}

/**
 * A reliability-hygiene topic (probes, resources): the control belongs to the opt-in
 * `best-practices` framework and is left out of the default, security-only selection.
 */
export function bestPractice(control: string): FrameworkRef {
  return { id: FRAMEWORK_IDS.bestPractices, control };
}

/** The container's name for messages (`#index` when it has none). */
export function containerName(c: ContainerEntry): string {
  return c.container.name ?? `#${c.index}`;
}

/** A value of the container's securityContext, falling back to the pod's. */
export function effectiveSecurity(pod: PodTemplate, c: ContainerEntry, key: string): unknown {
  const own = c.container.securityContext?.[key];
  return own !== undefined && own !== null ? own : pod.spec.securityContext?.[key];
}

/** The deepest existing path of `securityContext.<key>` for a container (for locations). */
export function securityPath(c: ContainerEntry, key?: string): string {
  const sc = c.container.securityContext;
  if (sc === undefined || sc === null) return c.path;
  if (key !== undefined && sc[key] !== undefined) return `${c.path}.securityContext.${key}`;
  return `${c.path}.securityContext`;
}

/** True when the pod declares it runs on Windows (`spec.os.name: windows`). */
export function isWindowsPod(pod: PodTemplate): boolean {
  return pod.spec.os?.name === 'windows';
}

/** Reads a string-array setting, ignoring anything that is not a list of strings. */
export function stringListSetting(
  settings: Readonly<Record<string, unknown>>,
  key: string,
): string[] | undefined {
  const v = settings[key];
  if (!Array.isArray(v)) return undefined;
  return v.filter((x): x is string => typeof x === 'string');
}

/** Reads a string setting. */
export function stringSetting(settings: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = settings[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Reads a non-negative number setting given as a YAML number (`warnDays: 14`) or as a string of
 * digits (`warnDays: "14"`); anything else (a negative, text, a fraction written as text) is undefined, so the
 * caller's default applies.
 */
export function numberSetting(
  settings: Readonly<Record<string, unknown>> | undefined,
  key: string,
): number | undefined {
  const v = settings?.[key];
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** True when a value is a plain object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A field value as message text (strings as they are, anything else as JSON). */
export function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  return JSON.stringify(v);
}
