/**
 * Scanning the images of a set of workloads: resolve each tag once, group references by the
 * digest they name, pull and scan each digest once (at most `concurrency` at a time), and turn
 * the outcome into findings on every container that runs the image. The registry is reached
 * only through `WorkloadImagePorts`, so tests run the whole flow in memory.
 */
import type { Finding, Severity } from '../core/index.js';
import type { ImageReference } from './reference.js';
import type { ImageScanResult } from './scan.js';
import {
  countedVulnerabilities,
  groupByDigest,
  imageFindings,
  planImageScans,
  tagKey,
  type ImageOutcome,
  type ImageReferencePlan,
  type WorkloadImageUse,
} from './workload-images.js';
import { formatImageReference } from './reference.js';

/** The registry I/O of a workload image scan. */
export interface WorkloadImagePorts {
  /** The manifest digest a tag reference names now. */
  resolve(ref: ImageReference): Promise<string>;
  /** Pulls and scans `ref` (which carries the digest), vulnerabilities matched. */
  scan(ref: ImageReference): Promise<ImageScanResult>;
}

/** Options of {@link scanWorkloadImages}. */
export interface WorkloadScanOptions {
  /** Vulnerabilities below this are not counted (default info). */
  severity?: Severity;
  /** Severity of `image/not-scanned` findings (default info). */
  notScannedSeverity?: Severity;
  /** Registry calls and scans running at once (default 2). */
  concurrency?: number;
  /** Called as images finish: done of total digests. */
  onProgress?: (done: number, total: number, image: string) => void;
}

/** An image that was scanned, for the history store. */
export interface ScannedImage {
  digest: string;
  /** The reference it was pulled by. */
  ref: string;
  result: ImageScanResult;
  /** Every reference text in the manifests that named this digest. */
  references: string[];
}

/** An image that could not be scanned, with why. */
export interface UnscannedImage {
  image: string;
  digest?: string;
  reason: string;
  containers: number;
}

/** The totals a report shows about the images of a scan. */
export interface WorkloadImageSummary {
  /** Containers read (each names one image, or none). */
  containers: number;
  /** Distinct reference texts. */
  references: number;
  /** Distinct digests the references resolved to. */
  digests: number;
  /** Digests pulled and scanned. */
  scanned: number;
  /** Vulnerabilities counted against the threshold, summed over the scanned digests. */
  vulnerabilities: number;
  /** The threshold vulnerabilities were counted from. */
  severity: Severity;
  notScanned: UnscannedImage[];
}

/** What a workload image scan produced. */
export interface WorkloadImageScan {
  findings: Finding[];
  summary: WorkloadImageSummary;
  scanned: ScannedImage[];
}

/** Runs `work` over `items` with at most `limit` running at once; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Distinct registry/repository pairs a digest may be pulled from, at most this many tried. */
const MAX_PULL_ATTEMPTS = 3;

/**
 * Resolves, pulls and scans the images of the given containers, each digest once, and returns
 * the findings on each container. Failures are outcomes (`image/not-scanned`), never throws.
 */
export async function scanWorkloadImages(
  uses: readonly WorkloadImageUse[],
  ports: WorkloadImagePorts,
  options: WorkloadScanOptions = {},
): Promise<WorkloadImageScan> {
  const concurrency = options.concurrency ?? 2;
  const plan = planImageScans(uses);
  const byTag = new Map<string, ImageReference>();
  for (const r of plan.references) if (r.ref && r.ref.digest === undefined) byTag.set(tagKey(r.ref), r.ref);
  const resolved = new Map<string, { digest: string } | { error: string }>();
  await mapLimit(plan.tags, concurrency * 2, async (key) => {
    const ref = byTag.get(key);
    if (ref === undefined) return;
    try {
      resolved.set(key, { digest: await ports.resolve(ref) });
    } catch (e) {
      resolved.set(key, { error: errorText(e) });
    }
  });
  const { groups, unresolved } = groupByDigest(plan, resolved);

  const outcomes: { reference: ImageReferencePlan; outcome: ImageOutcome }[] = unresolved.map((u) => ({
    reference: u.reference,
    outcome: { scanned: false, error: u.error },
  }));
  const scanned: ScannedImage[] = [];
  let done = 0;
  if (groups.length > 0) options.onProgress?.(0, groups.length, '');
  const scans = await mapLimit(groups, concurrency, async (group) => {
    const sources: ImageReference[] = [];
    const seen = new Set<string>();
    for (const r of group.references) {
      if (!r.ref) continue;
      const key = `${r.ref.registry}/${r.ref.repository}`;
      if (seen.has(key)) continue;
      seen.add(key);
      sources.push({ registry: r.ref.registry, repository: r.ref.repository, digest: group.digest });
      if (sources.length >= MAX_PULL_ATTEMPTS) break;
    }
    let outcome: ImageOutcome = { digest: group.digest, scanned: false, error: 'no reference to pull it by' };
    for (const source of sources) {
      try {
        const result = await ports.scan(source);
        outcome = { digest: group.digest, scanned: true, findings: result.findings };
        scanned.push({
          digest: group.digest,
          ref: formatImageReference(source),
          result,
          references: group.references.map((r) => r.text),
        });
        break;
      } catch (e) {
        outcome = { digest: group.digest, scanned: false, error: errorText(e) };
      }
    }
    done++;
    options.onProgress?.(done, groups.length, group.references[0]?.text ?? group.digest);
    return { group, outcome };
  });
  for (const { group, outcome } of scans)
    for (const reference of group.references) outcomes.push({ reference, outcome });

  const severity = options.severity ?? 'info';
  const findings = imageFindings(outcomes, {
    severity,
    ...(options.notScannedSeverity !== undefined ? { notScannedSeverity: options.notScannedSeverity } : {}),
  });
  const notScanned: UnscannedImage[] = [];
  for (const { reference, outcome } of outcomes)
    if (!outcome.scanned)
      notScanned.push({
        image: reference.text,
        ...(outcome.digest !== undefined ? { digest: outcome.digest } : {}),
        reason: outcome.error,
        containers: reference.uses.length,
      });
  scanned.sort((a, b) => a.digest.localeCompare(b.digest));
  return {
    findings,
    scanned,
    summary: {
      containers: uses.length,
      references: plan.references.length,
      digests: groups.length,
      scanned: scanned.length,
      vulnerabilities: scanned.reduce(
        (n, s) => n + countedVulnerabilities(s.result.findings, severity).length,
        0,
      ),
      severity,
      notScanned,
    },
  };
}
