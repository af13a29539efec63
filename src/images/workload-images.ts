/**
 * Images of the workloads a scan read (`palisade scan --images`): which containers run which
 * image reference, which references name the same content, and the findings that attach the
 * result of each image to every container that runs it. Pure: the registry and the
 * vulnerability database are reached by the caller (src/cli/commands/scan-images.ts), which
 * hands the outcome of each image back here.
 *
 * Containers are found with the same walker the controls use (`podTemplateOf` and
 * `containersOf` of src/core: init, regular and ephemeral containers of every workload kind,
 * CronJob templates included), so a kind added there is covered here too.
 */
import {
  containersOf,
  contractRef,
  hasPodTemplate,
  podTemplateOf,
  SEVERITIES,
  severityAtLeast,
  type Finding,
  type Resource,
  type Severity,
} from '../core/index.js';
import type { VulnSeverity } from '../vulndb/cvss.js';
import { isDigest } from './manifest.js';
import { formatImageReference, parseImageReference, type ImageReference } from './reference.js';
import type { ImageFinding } from './scan.js';

/** The longest image reference read; longer ones are not references (registries cap names at 255). */
export const MAX_IMAGE_REFERENCE_LENGTH = 1024;

/** One container of one workload and the image it runs. */
export interface WorkloadImageUse {
  resource: Resource;
  /** The container's name (`#index` when it has none). */
  container: string;
  /** Field path of the container's `image`, e.g. `spec.template.spec.initContainers[0].image`. */
  path: string;
  /** The image as written; empty when the container names none. */
  image: string;
  /**
   * The manifest digest the node pulled for a running container (`status.*ContainerStatuses[].imageID`
   * of a live Pod, when it names one as `…@sha256:…`): what runs, whatever the tag names now.
   */
  runningDigest?: string;
}

/** Where a pod keeps the status of each container list. */
const STATUS_FIELDS: Readonly<Record<string, string>> = {
  initContainers: 'initContainerStatuses',
  containers: 'containerStatuses',
  ephemeralContainers: 'ephemeralContainerStatuses',
};

/** `name → digest` of the running containers of one list, from a live object's status. */
function runningDigests(object: Resource['object'], field: string): Map<string, string> | undefined {
  const status = object.status;
  if (status === null || typeof status !== 'object') return undefined;
  const list = (status as Record<string, unknown>)[STATUS_FIELDS[field] ?? ''];
  if (!Array.isArray(list)) return undefined;
  const out = new Map<string, string>();
  for (const s of list as unknown[]) {
    if (s === null || typeof s !== 'object') continue;
    const { name, imageID } = s as { name?: unknown; imageID?: unknown };
    if (typeof name !== 'string' || typeof imageID !== 'string') continue;
    const at = imageID.lastIndexOf('@');
    const digest = at === -1 ? '' : imageID.slice(at + 1);
    if (isDigest(digest)) out.set(name, digest);
  }
  return out;
}

/** Every container image of the given objects, in inventory order. */
export function collectWorkloadImages(resources: Iterable<Resource>): WorkloadImageUse[] {
  const out: WorkloadImageUse[] = [];
  for (const resource of resources) {
    if (!hasPodTemplate(resource.ref.kind)) continue;
    const pod = podTemplateOf(resource.object);
    if (!pod) continue;
    const running = new Map<string, Map<string, string> | undefined>();
    for (const c of containersOf(pod)) {
      const image = c.container.image;
      if (!running.has(c.field)) running.set(c.field, runningDigests(resource.object, c.field));
      const name = c.container.name;
      const digest = name !== undefined ? running.get(c.field)?.get(name) : undefined;
      out.push({
        resource,
        container: name ?? `#${c.index}`,
        path: `${c.path}.image`,
        image: typeof image === 'string' ? image : '',
        ...(digest !== undefined ? { runningDigest: digest } : {}),
      });
    }
  }
  return out;
}

/** A distinct image reference text and the containers that run it. */
export interface ImageReferencePlan {
  /** The reference as written in the manifests. */
  text: string;
  /** The parsed reference; absent when `error` says why it cannot be pulled. */
  ref?: ImageReference;
  error?: string;
  uses: WorkloadImageUse[];
}

/** What to resolve and pull: distinct references, and the tags among them to resolve once each. */
export interface ImageScanPlan {
  references: ImageReferencePlan[];
  /** `registry/repository:tag` of every reference named by tag only, each once. */
  tags: string[];
}

/**
 * Groups container images by the text of their reference (and the digest a running container
 * was pulled at) and lists the tags to resolve (pure).
 */
export function planImageScans(uses: readonly WorkloadImageUse[]): ImageScanPlan {
  const byText = new Map<string, ImageReferencePlan>();
  for (const use of uses) {
    const key = use.runningDigest !== undefined ? `${use.image}\u0000${use.runningDigest}` : use.image;
    let plan = byText.get(key);
    if (plan === undefined) {
      const parsed = parseForScan(use.image);
      // A tag of a running container is taken at the digest the node pulled; a reference that
      // pins a digest keeps its own (a runtime may report the platform manifest of an index).
      if ('ref' in parsed && parsed.ref.digest === undefined && use.runningDigest !== undefined)
        parsed.ref.digest = use.runningDigest;
      plan = { text: use.image, uses: [], ...parsed };
      byText.set(key, plan);
    }
    plan.uses.push(use);
  }
  const tags = new Set<string>();
  for (const p of byText.values()) if (p.ref && p.ref.digest === undefined) tags.add(tagKey(p.ref));
  return { references: [...byText.values()], tags: [...tags] };
}

function parseForScan(text: string): { ref: ImageReference } | { error: string } {
  if (text.trim() === '') return { error: 'the container names no image' };
  if (text.length > MAX_IMAGE_REFERENCE_LENGTH)
    return { error: `the image reference is longer than ${MAX_IMAGE_REFERENCE_LENGTH} characters` };
  try {
    return { ref: parseImageReference(text) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** The key a tag reference is resolved under: `registry/repository:tag`. */
export function tagKey(ref: ImageReference): string {
  return formatImageReference({
    registry: ref.registry,
    repository: ref.repository,
    tag: ref.tag ?? 'latest',
  });
}

/** The content one digest names, and the references (with their uses) that resolved to it. */
export interface DigestGroup {
  digest: string;
  /** References that name this digest, in plan order; the first reachable one is pulled. */
  references: ImageReferencePlan[];
}

/**
 * Groups references by the digest they name: a digest reference by its own digest, a tag by
 * what it resolved to. References whose tag could not be resolved are returned apart, with why.
 */
export function groupByDigest(
  plan: ImageScanPlan,
  resolved: ReadonlyMap<string, { digest: string } | { error: string }>,
): { groups: DigestGroup[]; unresolved: { reference: ImageReferencePlan; error: string }[] } {
  const groups = new Map<string, DigestGroup>();
  const unresolved: { reference: ImageReferencePlan; error: string }[] = [];
  for (const reference of plan.references) {
    const ref = reference.ref;
    if (ref === undefined) {
      unresolved.push({ reference, error: reference.error ?? 'not an image reference' });
      continue;
    }
    let digest = ref.digest;
    if (digest === undefined) {
      const r = resolved.get(tagKey(ref));
      if (r === undefined || 'error' in r) {
        unresolved.push({ reference, error: r && 'error' in r ? r.error : 'the tag was not resolved' });
        continue;
      }
      digest = r.digest;
    }
    let group = groups.get(digest);
    if (group === undefined) {
      group = { digest, references: [] };
      groups.set(digest, group);
    }
    group.references.push(reference);
  }
  return { groups: [...groups.values()], unresolved };
}

/** What became of one image: its vulnerabilities, or why it was not scanned. */
export type ImageOutcome =
  | { digest: string; scanned: true; findings: readonly ImageFinding[] }
  | { digest?: string; scanned: false; error: string };

/** Report metadata of the two image controls (SARIF rules, HTML legend). */
export const IMAGE_CONTROLS = {
  vulnerabilities: {
    id: 'image/vulnerabilities',
    title: 'Images must not carry known vulnerabilities',
    severity: 'high' as Severity,
    rationale:
      'A package with a published vulnerability is what attackers scan for first; the workload runs it whatever its manifest says.',
    remediation:
      'Rebuild the image on a base and packages at or above the fixed versions, pin the new digest, and redeploy.',
    frameworks: [
      { id: 'nsa-cisa-1.2', control: 'Pod security: building secure container images' },
      { id: 'mitre-attack', control: 'T1190' },
    ],
  },
  notScanned: {
    id: 'image/not-scanned',
    title: 'Images must be scannable',
    severity: 'info' as Severity,
    rationale:
      'An image that could not be pulled or read was not checked for vulnerabilities: it is unknown, not clean.',
    remediation:
      'Make the registry reachable with credentials (docker login, $DOCKER_CONFIG, --registry-ca), fix the reference, or import a vulnerability database.',
    frameworks: [],
  },
} as const;

/** Where a vulnerability severity sits on the finding scale (`negligible` and `unknown` are info). */
export function findingSeverityOf(s: string | undefined): Severity {
  const v = s as VulnSeverity | undefined;
  return v === 'critical' || v === 'high' || v === 'medium' || v === 'low' ? v : 'info';
}

/** Options of {@link imageFindings}. */
export interface ImageFindingOptions {
  /** Vulnerabilities below this are not counted (default info: every one). */
  severity?: Severity;
  /** Severity of `image/not-scanned` findings (default info). */
  notScannedSeverity?: Severity;
  /** Vulnerabilities named in a message (default 3). */
  named?: number;
}

/** The vulnerabilities of an image counted against the threshold, worst first (pure). */
export function countedVulnerabilities(
  findings: readonly ImageFinding[],
  threshold: Severity,
): ImageFinding[] {
  const counted = findings.filter(
    (f) => f.suppressed !== true && severityAtLeast(findingSeverityOf(f.severity), threshold),
  );
  const rank = (f: ImageFinding): number => SEVERITIES.indexOf(findingSeverityOf(f.severity));
  return counted.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (b.cvssScore ?? -1) - (a.cvssScore ?? -1) ||
      (a.fixedVersion === undefined ? 1 : 0) - (b.fixedVersion === undefined ? 1 : 0) ||
      a.id.localeCompare(b.id),
  );
}

/** ` (digest)` after an image named by tag; nothing when the reference already names it. */
function withDigest(image: string, digest: string | undefined): string {
  return digest === undefined || image.endsWith(`@${digest}`) ? '' : ` (${digest})`;
}

/** One line summarising the counted vulnerabilities of an image. */
export function describeVulnerabilities(
  image: string,
  digest: string,
  counted: readonly ImageFinding[],
  threshold: Severity,
  named = 3,
): string {
  const bySeverity = SEVERITIES.map(
    (s) => [s, counted.filter((f) => findingSeverityOf(f.severity) === s).length] as const,
  )
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  const names = counted
    .slice(0, named)
    .map(
      (f) =>
        `${f.id} in ${f.package.name} ${f.package.version} (${f.fixedVersion !== undefined ? `fixed in ${f.fixedVersion}` : 'no fix'})`,
    );
  const more = counted.length > named ? `, and ${counted.length - named} more` : '';
  const at = threshold === 'info' ? '' : ` at or above ${threshold}`;
  return `image "${image}"${withDigest(image, digest)} has ${counted.length} known vulnerabilit${counted.length === 1 ? 'y' : 'ies'}${at} (${bySeverity}): ${names.join(', ')}${more}`;
}

function findingAt(
  control: (typeof IMAGE_CONTROLS)[keyof typeof IMAGE_CONTROLS],
  use: WorkloadImageUse,
  severity: Severity,
  message: string,
): Finding {
  const base = {
    controlId: control.id,
    title: control.title,
    severity,
    message,
    resource: contractRef(use.resource.ref),
  };
  const rest = {
    fieldPath: use.path,
    remediation: control.remediation,
    frameworks: control.frameworks.map((f) => ({ ...f })),
  };
  const source = use.resource.source;
  if (!source) return { ...base, ...rest };
  const at = source.locate(use.path);
  return { ...base, location: { file: source.file, line: at.line, column: at.column }, ...rest };
}

/**
 * The findings of every container image: one `image/vulnerabilities` finding per (workload,
 * container, image) whose image has vulnerabilities at or above the threshold (severity: the
 * worst of them), and one `image/not-scanned` finding per container whose image could not be
 * resolved, pulled or scanned. Each points at the container's `image` field.
 */
export function imageFindings(
  references: readonly { reference: ImageReferencePlan; outcome: ImageOutcome }[],
  options: ImageFindingOptions = {},
): Finding[] {
  const threshold = options.severity ?? 'info';
  const out: Finding[] = [];
  for (const { reference, outcome } of references) {
    if (!outcome.scanned) {
      const message = `image "${reference.text}"${withDigest(reference.text, outcome.digest)} was not scanned: ${outcome.error}`;
      for (const use of reference.uses)
        out.push(
          findingAt(
            IMAGE_CONTROLS.notScanned,
            use,
            options.notScannedSeverity ?? 'info',
            `container "${use.container}": ${message}`,
          ),
        );
      continue;
    }
    const counted = countedVulnerabilities(outcome.findings, threshold);
    if (counted.length === 0) continue;
    const worst = findingSeverityOf(counted[0]?.severity);
    const message = describeVulnerabilities(
      reference.text,
      outcome.digest,
      counted,
      threshold,
      options.named,
    );
    for (const use of reference.uses)
      out.push(
        findingAt(IMAGE_CONTROLS.vulnerabilities, use, worst, `container "${use.container}": ${message}`),
      );
  }
  return out;
}
