/**
 * The `images:` section of the admission configuration and how its rules join a decision.
 * The rules themselves are judged by `judgeImages` (src/images/gate.ts) over the local verdict
 * store; this file validates the section, compiles it once, lists a request's container images
 * and turns each broken rule into a denial or a warning.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { containersOf, podTemplateOf, type Result } from '../core/index.js';
import {
  judgeImages,
  type ImageFacts,
  type ImageGatePolicy,
  type ImageUse,
  type ImageViolation,
} from '../images/gate.js';
import { defaultVerdictStorePath, storeFacts, VerdictStore } from '../images/verdict-store.js';
import { VULN_SEVERITIES, type VulnSeverity } from '../vulndb/cvss.js';
import type { AdmissionAttributes } from './types.js';

const gateAction = z.enum(['allow', 'warn', 'deny']);

/** The schema of `images:` in admission.yaml. */
export const imagesConfigSchema = z
  .object({
    /** The verdict store file (default `~/.palisade/images.sqlite`). */
    store: z.string().min(1).optional(),
    /** What a broken registry, vulnerability or signature rule does. */
    action: z.enum(['deny', 'warn']).default('deny'),
    /** `host` or `host/repository-prefix`; empty allows every registry. */
    allowedRegistries: z.array(z.string().min(1)).default([]),
    /** An image named by tag only. */
    missingDigest: gateAction.default('allow'),
    vulnerabilities: z
      .object({
        maxSeverity: z.enum(VULN_SEVERITIES as [VulnSeverity, ...VulnSeverity[]]).optional(),
        maxCvss: z.number().min(0).max(10).optional(),
        fixableOnly: z.boolean().default(false),
      })
      .strict()
      .refine((v) => v.maxSeverity !== undefined || v.maxCvss !== undefined, {
        message: 'set maxSeverity, maxCvss or both',
      })
      .optional(),
    /** An image with no scan yet. */
    unscanned: gateAction.default('warn'),
    signatures: z
      .object({
        /** An image whose signature has not been checked yet. */
        unchecked: gateAction.default('deny'),
        /** PEM public keys (cosign.pub) whose signatures are accepted. */
        keys: z.array(z.string().min(1)).default([]),
        /** A Sigstore trusted_root.json (offline trust root) for keyless signatures. */
        trustedRoot: z.string().min(1).optional(),
        /** Keyless signers accepted: the OIDC issuer exactly, the certificate subject by regexp. */
        identities: z
          .array(z.object({ issuer: z.string().min(1), subject: z.string().min(1).max(1024) }).strict())
          .default([]),
        /** Transparency-log entries and certificate-transparency proofs a keyless signature needs. */
        tlogThreshold: z.number().int().min(0).max(10).default(1),
        ctlogThreshold: z.number().int().min(0).max(10).default(1),
      })
      .strict()
      .optional(),
    /** How the background job reaches registries. */
    registry: z
      .object({
        caFile: z.string().min(1).optional(),
        platform: z.string().min(1).optional(),
        cacheDir: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    /** The vulnerability database the background job matches against (default as `palisade db`). */
    vulnDb: z.string().min(1).optional(),
    /**
     * The background job's thread: an image whose resolution, pull, scan and signature check
     * take longer than `deadlineSeconds` (default 600) is abandoned and the thread replaced;
     * beyond `maxQueue` images waiting (default 1000) a newcomer is dropped, and logged.
     */
    job: z
      .object({
        deadlineSeconds: z.number().int().min(1).max(86_400).optional(),
        maxQueue: z.number().int().min(1).max(100_000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const s = v.signatures;
    if (!s) return;
    if (s.keys.length === 0 && s.identities.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['signatures'],
        message: 'name at least one public key (keys) or keyless identity (identities)',
      });
    if (s.identities.length > 0 && s.trustedRoot === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['signatures', 'trustedRoot'],
        message: 'keyless identities need a trusted root (trusted_root.json)',
      });
    s.identities.forEach((id, i) => {
      try {
        new RegExp(id.subject, 'u');
      } catch (e) {
        ctx.addIssue({
          code: 'custom',
          path: ['signatures', 'identities', i, 'subject'],
          message: `not a regular expression: ${(e as Error).message}`,
        });
      }
    });
  });

/** `images:` after validation. */
export type ImagesConfig = z.infer<typeof imagesConfigSchema>;

/** The image rules, compiled: the policy and the facts it is judged on. */
export interface CompiledImageGate {
  policy: ImageGatePolicy;
  facts: ImageFacts;
}

/**
 * A fingerprint of the signature rules, including the content of the key and trust-root
 * files, so verdicts made under other rules are not reused.
 */
export function signaturePolicyFingerprint(s: NonNullable<ImagesConfig['signatures']>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ ...s, unchecked: undefined }));
  for (const file of [...s.keys, ...(s.trustedRoot !== undefined ? [s.trustedRoot] : [])])
    hash.update(readFileSync(file));
  return `sha256:${hash.digest('hex').slice(0, 32)}`;
}

/** Compiles `images:`; without injected facts it opens the verdict store read-only. */
export function compileImageGate(
  config: ImagesConfig,
  facts?: ImageFacts,
): Result<CompiledImageGate, { path: string; message: string }[]> {
  let policyId: string | undefined;
  if (config.signatures) {
    try {
      policyId = signaturePolicyFingerprint(config.signatures);
    } catch (e) {
      return {
        ok: false,
        error: [
          { path: 'images.signatures', message: `cannot read a key or trust root: ${(e as Error).message}` },
        ],
      };
    }
  }
  let chosen = facts;
  if (!chosen) {
    const file = config.store ?? defaultVerdictStorePath();
    try {
      chosen = storeFacts(VerdictStore.openReadOnly(file));
    } catch (e) {
      return { ok: false, error: [{ path: 'images.store', message: (e as Error).message }] };
    }
  }
  const policy: ImageGatePolicy = {
    allowedRegistries: config.allowedRegistries,
    action: config.action,
    missingDigest: config.missingDigest,
    unscanned: config.unscanned,
  };
  if (config.vulnerabilities) {
    const v = config.vulnerabilities;
    policy.vulnerabilities = {
      fixableOnly: v.fixableOnly,
      ...(v.maxSeverity !== undefined ? { maxSeverity: v.maxSeverity } : {}),
      ...(v.maxCvss !== undefined ? { maxCvss: v.maxCvss } : {}),
    };
  }
  if (policyId !== undefined && config.signatures)
    policy.signatures = { policy: policyId, unchecked: config.signatures.unchecked };
  return { ok: true, value: { policy, facts: chosen } };
}

/** The container images of the request's object; on UPDATE only images the old object did not run. */
export function imagesUnderReview(attrs: AdmissionAttributes): ImageUse[] {
  const object = attrs.object;
  if (!object) return [];
  const pod = podTemplateOf(object);
  if (!pod) return [];
  const before = new Set<string>();
  const old = attrs.operation === 'UPDATE' && attrs.oldObject ? podTemplateOf(attrs.oldObject) : undefined;
  if (old)
    for (const c of containersOf(old))
      if (typeof c.container.image === 'string') before.add(c.container.image);
  const uses: ImageUse[] = [];
  for (const c of containersOf(pod)) {
    const image = c.container.image;
    if (typeof image === 'string' && image !== '' && !before.has(image))
      uses.push({ field: `${c.path}.image`, image });
  }
  return uses;
}

/** A broken image rule as the decision records it (a control-like violation, level `images`). */
export interface ImageDecisionLines {
  violations: ImageViolation[];
  deny: string[];
  warnings: string[];
  /** Set when the rules could not be judged (e.g. the verdict store cannot be read). */
  error?: string;
}

/** Judges the request's images and returns the denial and warning lines. */
export function judgeRequestImages(attrs: AdmissionAttributes, gate: CompiledImageGate): ImageDecisionLines {
  const uses = imagesUnderReview(attrs);
  if (uses.length === 0) return { violations: [], deny: [], warnings: [] };
  let violations: ImageViolation[];
  try {
    violations = judgeImages(uses, gate.policy, gate.facts);
  } catch (e) {
    return { violations: [], deny: [], warnings: [], error: e instanceof Error ? e.message : String(e) };
  }
  const deny: string[] = [];
  const warnings: string[] = [];
  for (const v of violations) {
    if (v.action === 'deny') deny.push(`${v.code} (${v.field}): ${v.message}`);
    else warnings.push(`${v.code} (${v.field}): ${v.summary}`);
  }
  return { violations, deny, warnings };
}
