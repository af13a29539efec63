/**
 * Images at admission: judges the images of one workload against the image rules (registry
 * allowlist, digest pinning, the last vulnerability scan of the digest, its signature) using
 * only facts already kept locally. Pure: the facts come through `ImageFacts`, whose reads are
 * local lookups; nothing here touches a registry or the network. An image the facts know
 * nothing about is reported so the background job (gate-job.ts) can look at it.
 */
import { VULN_SEVERITIES, type VulnSeverity } from '../vulndb/cvss.js';
import { formatImageReference, parseImageReference, type ImageReference } from './reference.js';

/** What a rule does when it does not hold: nothing, a warning, or a refusal. */
export type GateAction = 'allow' | 'warn' | 'deny';

/** The vulnerability threshold: a finding over any given bound violates it. */
export interface VulnerabilityThreshold {
  /** Findings more severe than this violate (e.g. `medium`: high and critical are refused). */
  maxSeverity?: VulnSeverity;
  /** Findings with a CVSS base score above this violate. */
  maxCvss?: number;
  /** Only findings with a fixed version count. */
  fixableOnly: boolean;
}

/** The image rules, compiled from the `images:` section of the admission configuration. */
export interface ImageGatePolicy {
  /** `host` or `host/repository-prefix` entries; empty allows every registry. */
  allowedRegistries: readonly string[];
  /** What a violated registry, vulnerability or signature rule does. */
  action: 'warn' | 'deny';
  /** An image named by tag only. */
  missingDigest: GateAction;
  vulnerabilities?: VulnerabilityThreshold;
  /** An image whose digest has no scan yet (or whose tag was never resolved). */
  unscanned: GateAction;
  /** Present when signatures are required: the fingerprint of the signature rules verdicts were made under. */
  signatures?: { policy: string; unchecked: GateAction };
}

/** One vulnerability of a scanned image, as kept for admission. */
export interface GateFinding {
  id: string;
  aliases?: string[];
  severity: VulnSeverity;
  cvss?: number;
  fixedVersion?: string;
  /** `name@version` of the package. */
  package: string;
  /** Where the package was found (layer digest and path), when known. */
  location?: string;
}

/** The last scan of one digest. */
export interface ScanVerdict {
  digest: string;
  ref: string;
  scannedAt: string;
  packages: number;
  findings: GateFinding[];
  /** Set when the scan failed; the image then counts as unscanned. */
  error?: string;
}

/** The last signature check of one digest under one set of signature rules. */
export interface SignatureVerdict {
  digest: string;
  policy: string;
  checkedAt: string;
  verified: boolean;
  /** Who signed (key name or certificate identity) when verified. */
  signer?: string;
  /** Why it is or is not verified. */
  reason: string;
}

/** Local facts about images; every read is a local lookup. */
export interface ImageFacts {
  scanOf(digest: string): ScanVerdict | undefined;
  signatureOf(digest: string, policy: string): SignatureVerdict | undefined;
  /** The digest a tag reference resolved to when the background job last looked. */
  digestOf(ref: string): string | undefined;
  /** Tells the background job about an image; must return at once. */
  seen(ref: string): void;
}

/** One container image of the object under review. */
export interface ImageUse {
  /** Field path, e.g. `spec.containers[0].image`. */
  field: string;
  image: string;
}

/** Stable codes of image rule outcomes. */
export type ImageGateCode =
  | 'image_reference_invalid'
  | 'image_registry_not_allowed'
  | 'image_digest_missing'
  | 'image_unscanned'
  | 'image_vulnerable'
  | 'image_signature_unchecked'
  | 'image_unsigned';

/** One image rule that did not hold for one container image. */
export interface ImageViolation {
  code: ImageGateCode;
  action: 'warn' | 'deny';
  field: string;
  image: string;
  message: string;
  /** A short form without the image name, for 120-character warnings. */
  summary: string;
}

const SEVERITY_RANK = new Map(VULN_SEVERITIES.map((s, i) => [s, VULN_SEVERITIES.length - i]));
const MAX_NAMED_FINDINGS = 3;

/** True when `ref` is under one of the allowed `host[/prefix]` entries. */
export function registryAllowed(ref: ImageReference, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const full = `${ref.registry}/${ref.repository}`;
  return allowed.some((entry) => {
    let e = entry;
    while (e.endsWith('/')) e = e.slice(0, -1);
    return e === ref.registry || full === e || full.startsWith(`${e}/`);
  });
}

/** Findings of a scan that break the threshold, most serious first. */
export function findingsOverThreshold(
  findings: readonly GateFinding[],
  t: VulnerabilityThreshold,
): GateFinding[] {
  const maxRank = t.maxSeverity !== undefined ? (SEVERITY_RANK.get(t.maxSeverity) ?? 0) : undefined;
  return findings
    .filter((f) => {
      if (t.fixableOnly && f.fixedVersion === undefined) return false;
      const overSeverity = maxRank !== undefined && (SEVERITY_RANK.get(f.severity) ?? 0) > maxRank;
      const overCvss = t.maxCvss !== undefined && f.cvss !== undefined && f.cvss > t.maxCvss;
      return overSeverity || overCvss;
    })
    .sort(
      (a, b) =>
        (SEVERITY_RANK.get(b.severity) ?? 0) - (SEVERITY_RANK.get(a.severity) ?? 0) ||
        (b.cvss ?? 0) - (a.cvss ?? 0) ||
        a.id.localeCompare(b.id),
    );
}

function describeFinding(f: GateFinding): string {
  const score = f.cvss !== undefined ? `, CVSS ${f.cvss.toFixed(1)}` : '';
  const fix = f.fixedVersion !== undefined ? `, fixed in ${f.fixedVersion}` : ', no fix yet';
  return `${f.id} (${f.severity}${score}) in ${f.package}${fix}`;
}

function describeThreshold(t: VulnerabilityThreshold): string {
  const parts: string[] = [];
  if (t.maxSeverity !== undefined) parts.push(`maxSeverity ${t.maxSeverity}`);
  if (t.maxCvss !== undefined) parts.push(`maxCvss ${t.maxCvss}`);
  return parts.join(', ') + (t.fixableOnly ? ' (fixable only)' : '');
}

/**
 * Judges each image against the rules. Every image the facts do not fully know (no scan, no
 * signature verdict, an unresolved tag) is passed to `facts.seen` so the next request has an
 * answer; the same image in several containers is judged once per field.
 */
export function judgeImages(
  uses: readonly ImageUse[],
  policy: ImageGatePolicy,
  facts: ImageFacts,
): ImageViolation[] {
  const out: ImageViolation[] = [];
  const push = (
    use: ImageUse,
    code: ImageGateCode,
    action: GateAction,
    message: string,
    summary = message,
  ): void => {
    if (action !== 'allow')
      out.push({
        code,
        action,
        field: use.field,
        image: use.image,
        message: `image ${use.image}: ${message}`,
        summary,
      });
  };
  for (const use of uses) {
    let ref: ImageReference;
    try {
      ref = parseImageReference(use.image);
    } catch {
      push(use, 'image_reference_invalid', 'deny', 'not a valid image reference');
      continue;
    }
    if (!registryAllowed(ref, policy.allowedRegistries)) {
      push(
        use,
        'image_registry_not_allowed',
        policy.action,
        `registry ${ref.registry}/${ref.repository} is not in allowedRegistries (${policy.allowedRegistries.join(', ')})`,
      );
      continue;
    }
    if (ref.digest === undefined)
      push(use, 'image_digest_missing', policy.missingDigest, 'is not pinned by digest (@sha256:…)');
    const needsScan = policy.vulnerabilities !== undefined || policy.unscanned !== 'allow';
    if (!needsScan && policy.signatures === undefined) continue;
    const canonical = formatImageReference(ref);
    const digest = ref.digest ?? facts.digestOf(canonical);
    const scan = digest !== undefined ? facts.scanOf(digest) : undefined;
    const signature =
      digest !== undefined && policy.signatures !== undefined
        ? facts.signatureOf(digest, policy.signatures.policy)
        : undefined;
    if (
      digest === undefined ||
      (needsScan && (scan === undefined || scan.error !== undefined)) ||
      (policy.signatures !== undefined && signature === undefined)
    )
      facts.seen(canonical);

    if (needsScan) {
      if (scan === undefined || scan.error !== undefined) {
        const why =
          scan?.error !== undefined
            ? `its last scan failed (${scan.error})`
            : digest === undefined
              ? 'its tag has not been resolved and scanned yet'
              : `${digest} has not been scanned yet`;
        push(
          use,
          'image_unscanned',
          policy.unscanned,
          `${why}; a scan is queued`,
          scan?.error !== undefined ? 'last scan failed; retry queued' : 'not scanned yet; a scan is queued',
        );
      } else if (policy.vulnerabilities !== undefined) {
        const over = findingsOverThreshold(scan.findings, policy.vulnerabilities);
        if (over.length > 0) {
          const named = over.slice(0, MAX_NAMED_FINDINGS).map(describeFinding).join('; ');
          const more =
            over.length > MAX_NAMED_FINDINGS ? `; and ${over.length - MAX_NAMED_FINDINGS} more` : '';
          push(
            use,
            'image_vulnerable',
            policy.action,
            `${over.length} ${over.length === 1 ? 'vulnerability' : 'vulnerabilities'} over ${describeThreshold(policy.vulnerabilities)} (scan of ${scan.scannedAt}): ${named}${more}`,
            `${over[0]?.id ?? ''} (${over[0]?.severity ?? ''}) in ${over[0]?.package ?? ''}${over.length > 1 ? ` and ${over.length - 1} more` : ''}`,
          );
        }
      }
    }
    if (policy.signatures !== undefined) {
      if (signature === undefined)
        push(
          use,
          'image_signature_unchecked',
          policy.signatures.unchecked,
          'its signature has not been checked yet; a check is queued',
        );
      else if (!signature.verified)
        push(use, 'image_unsigned', policy.action, `no valid signature: ${signature.reason}`);
    }
  }
  return out;
}
