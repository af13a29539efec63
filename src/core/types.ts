/** Severity of a finding, from most to least serious. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** Every severity, most serious first; the index is the rank used for `--fail-on`. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Returns true when `s` is at least as serious as `threshold`. */
export function severityAtLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(s) <= SEVERITIES.indexOf(threshold);
}

/** Returns true when the string names a severity. */
export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

/** Object metadata as Palisade reads it; unknown fields are kept. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }[];
  [key: string]: unknown;
}

/**
 * Any Kubernetes object, kept as the parsed JSON. Only apiVersion and kind are guaranteed
 * (the loader rejects documents without them); everything else is read defensively.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** Identifies one object; `namespace` is absent for cluster-scoped objects and unknown ones. */
export interface ResourceRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * A copy of a reference with the report contract's key order (apiVersion, kind, namespace,
 * name), an empty namespace left out, so reports and findings share one object shape.
 */
export function contractRef(ref: ResourceRef): ResourceRef {
  if (ref.namespace !== undefined && ref.namespace !== '') {
    return { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name };
  }
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name };
}

/** A position in a source file; line and column are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** Where an object came from, and how to turn one of its field paths into a file position. */
export interface ResourceSource {
  /** Path relative to the scan root (or the Helm template named by `# Source:`). */
  file: string;
  /** Index of the YAML document in the file, 0-based. */
  docIndex: number;
  /** Resolves a field path of this object to the closest known position (never throws). */
  locate(fieldPath: string): { line: number; column: number };
}

/** An object plus its identity and origin. */
export interface Resource {
  object: KubeObject;
  ref: ResourceRef;
  source?: ResourceSource;
}

/** A mapping of a control onto a framework's own numbering, e.g. `{ id: 'cis-1.10', control: '5.2.2' }`. */
export interface FrameworkRef {
  id: string;
  control: string;
}

/** Why a finding is not counted against the resource, with who accepted it and until when. */
export interface Suppression {
  kind: 'exception' | 'annotation';
  reason: string;
  owner?: string;
  expires?: string;
}

/** One violated control on one resource, at one field. */
export interface Finding {
  controlId: string;
  title: string;
  severity: Severity;
  message: string;
  resource: ResourceRef;
  location?: SourceLocation;
  fieldPath?: string;
  remediation: string;
  frameworks: FrameworkRef[];
  suppressed?: Suppression;
}

/** An input that could not be read as Kubernetes objects, with where and why. */
export interface InputIssue {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

/** Formats a resource reference as `Kind namespace/name` (or `Kind name`). */
export function formatRef(ref: ResourceRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}
