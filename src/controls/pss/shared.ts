/**
 * What every Pod Security Standards check shares: the check declaration, the pod view checks
 * read (with field paths rooted at the workload object), and the message helpers that render
 * upstream's wording (`container "a"`, `containers "a", "b"`, Go `%q` quoting).
 */
import {
  containersOf,
  formatFieldPath,
  parseFieldPath,
  type ContainerLike,
  type FrameworkRef,
  type ObjectMeta,
  type PathSegment,
  type PodSpecLike,
  type PodTemplate,
  type Severity,
} from '../../core/index.js';

/** A Pod Security Standards level that has checks (`privileged` has none). */
export type PssLevel = 'baseline' | 'restricted';

/**
 * Why a pod fails one check, as upstream words it: `reason (detail)`. `paths` are the offending
 * fields, or the nearest existing parent of a required field that is missing; never empty.
 */
export interface PssDenial {
  reason: string;
  detail: string;
  paths: string[];
}

/** One revision of a check: a pure function of the pod, `undefined` when the pod is allowed. */
export type PssCheckFn = (pod: PssPod) => PssDenial | undefined;

/** A revision of a check, in force from `minVersion` until the next revision's. */
export interface PssCheckVersion {
  /** Policy minor (`v1.<minor>`) from which this revision applies. */
  minVersion: number;
  /** What this revision requires, or what it changed from the previous one (for docs). */
  change: string;
  check: PssCheckFn;
  /** Baseline check ids this restricted revision replaces while it is in force. */
  overrides?: readonly string[];
}

/** An upstream check: its id and level, its revisions (strictly increasing), and catalogue data. */
export interface PssCheck {
  /** Upstream check id, e.g. `runAsNonRoot`, `capabilities_restricted`. */
  id: string;
  level: PssLevel;
  title: string;
  severity: Severity;
  rationale: string;
  remediation: string;
  /** CIS, NSA/CISA and MITRE ATT&CK references (the PSS reference is added per level). */
  refs: readonly FrameworkRef[];
  versions: readonly PssCheckVersion[];
}

/** A container of the pod with its name as upstream reads it (`""` when unset). */
export interface PssContainer {
  container: ContainerLike;
  name: string;
  /** Segments from the pod spec to the container, e.g. `['initContainers', 0]`. */
  at: PathSegment[];
}

/** Returns true for a JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Returns true when a field is absent or null: a nil pointer in the Go API types. */
export function isNil(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

/** Reads a string field as Go decodes it: absent or null is `""`; other scalars as their text. */
export function str(v: unknown): string {
  if (isNil(v)) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Returns the items of an array field, or none when it is absent or not a list. */
export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The securityContext of a container or pod when it is an object. */
export function securityContextOf(holder: {
  securityContext?: unknown;
}): Record<string, unknown> | undefined {
  return isObject(holder.securityContext) ? holder.securityContext : undefined;
}

/**
 * The pod a check reads: metadata, spec, containers in upstream's visiting order (init,
 * regular, ephemeral), and field paths rooted at the workload object.
 */
export class PssPod {
  readonly metadata: ObjectMeta;
  readonly spec: PodSpecLike;
  readonly containers: readonly PssContainer[];
  private readonly specSegments: PathSegment[];
  private readonly metadataSegments: PathSegment[];

  constructor(template: PodTemplate) {
    this.metadata = template.metadata;
    this.spec = template.spec;
    this.specSegments = parseFieldPath(template.specPath);
    this.metadataSegments = parseFieldPath(template.metadataPath);
    this.containers = containersOf(template).map((c) => ({
      container: c.container,
      name: str(c.container.name),
      at: [c.field, c.index],
    }));
  }

  /** The pod spec's securityContext when it is an object. */
  get securityContext(): Record<string, unknown> | undefined {
    return securityContextOf(this.spec);
  }

  /** Annotations of the pod metadata (string values only, as the API types hold them). */
  get annotations(): [string, string][] {
    const a = this.metadata.annotations;
    if (!isObject(a)) return [];
    return Object.entries(a).map(([k, v]) => [k, str(v)]);
  }

  /** Field path of a pod-spec field, e.g. `specPath('containers', 0, 'image')`. */
  specPath(...segments: PathSegment[]): string {
    return formatFieldPath([...this.specSegments, ...segments]);
  }

  /** Field path of a pod-spec field, cut at the deepest segment present (for a missing required field). */
  specPathOrParent(...segments: PathSegment[]): string {
    let node: unknown = this.spec;
    let depth = 0;
    for (const seg of segments) {
      if (node === null || typeof node !== 'object') break;
      const next = (node as Record<string | number, unknown>)[seg];
      if (next === undefined) break;
      node = next;
      depth++;
    }
    return this.specPath(...segments.slice(0, depth));
  }

  /** Field path of a pod-metadata field, e.g. `metadataPath('annotations', key)`. */
  metadataPath(...segments: PathSegment[]): string {
    return formatFieldPath([...this.metadataSegments, ...segments]);
  }
}

/** Renders items as upstream's joinQuote: `"a", "b"` (no escaping, as upstream). */
export function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? '' : `"${items.join('", "')}"`;
}

/** Upstream's pluralize: the singular when count is 1. */
export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** `container "a"` or `containers "a", "b"`. */
export function containersPhrase(names: readonly string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}

/** Distinct items in ascending byte order, as Go's `sets.List`. */
export function sortedSet(items: Iterable<string>): string[] {
  return [...new Set(items)].sort(compareStrings);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Quotes a string as Go's `%q` does for the values found in pod specs. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if ((code >= 0x80 && code < 0xa0) || code === 0x2028 || code === 0x2029)
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Builds a denial; paths are de-duplicated in first-seen order. */
export function deny(reason: string, detail: string, paths: readonly string[]): PssDenial {
  return { reason, detail, paths: [...new Set(paths)] };
}

/** Returns true for a pod that declares `spec.os.name: windows` (exempt from Linux-only checks from v1.25). */
export function isWindowsPod(pod: PssPod): boolean {
  const os = pod.spec.os as unknown;
  return isObject(os) && os.name === 'windows';
}

/** Returns true for a pod in a user namespace (`spec.hostUsers: false`), relaxed by some checks from v1.35. */
export function isUserNamespacePod(pod: PssPod): boolean {
  return pod.spec.hostUsers === false;
}

/** The pod-level and container-level settings of one profile field that a check rejects. */
export interface ProfileTypeViolations {
  /** `pod` and/or the containers phrase, in upstream's order. */
  setters: string[];
  /** The rejected `type` values, unsorted. */
  values: string[];
  /** Field paths of every rejected `type`. */
  paths: string[];
}

/**
 * Collects the pod and containers whose `securityContext.<field>.type` is set and not
 * allowed: the shape the seccomp and AppArmor checks share (they differ in what is allowed
 * and in what else they look at).
 */
export function profileTypeViolations(
  pod: PssPod,
  field: 'seccompProfile' | 'appArmorProfile',
  allowed: (type: string) => boolean,
): ProfileTypeViolations {
  const out: ProfileTypeViolations = { setters: [], values: [], paths: [] };
  const podProfile = pod.securityContext?.[field];
  if (isObject(podProfile) && !allowed(str(podProfile.type))) {
    out.setters.push('pod');
    out.values.push(str(podProfile.type));
    out.paths.push(pod.specPathOrParent('securityContext', field, 'type'));
  }
  const names: string[] = [];
  for (const c of pod.containers) {
    const profile = securityContextOf(c.container)?.[field];
    if (isObject(profile) && !allowed(str(profile.type))) {
      names.push(c.name);
      out.values.push(str(profile.type));
      out.paths.push(pod.specPathOrParent(...c.at, 'securityContext', field, 'type'));
    }
  }
  if (names.length > 0) out.setters.push(containersPhrase(names));
  return out;
}
