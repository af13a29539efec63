/**
 * The admission configuration file (`kind: AdmissionConfiguration`) and its compiled form.
 *
 * Loading validates the document with zod and reports every problem with its field path;
 * compiling resolves the cluster-default control sets once, so a wrong name fails when the
 * server starts, not when the first request arrives.
 */
import { z } from 'zod';
import type { CatalogEntry, KubeObject, Result } from '../core/index.js';
import { compileImageGate, imagesConfigSchema, type CompiledImageGate } from './images.js';
import type { ImageFacts } from '../images/gate.js';
import {
  NO_POLICIES,
  frameworkControlSets,
  type ControlSetResolver,
  type NamespaceLookup,
  type PolicyEvaluator,
} from './ports.js';

/** `latest` or a Kubernetes minor version `v1.N`, as Pod Security Admission spells it. */
export const VERSION_PATTERN = /^(latest|v1\.(0|[1-9][0-9]{0,2}))$/;

const versionSchema = z.string().regex(VERSION_PATTERN, 'must be "latest" or v1.N');
const levelSchema = z.string().min(1);
const failurePolicySchema = z.enum(['Fail', 'Ignore']);

const modesSchema = z
  .object({
    enforce: levelSchema.optional(),
    enforceVersion: versionSchema.optional(),
    warn: levelSchema.optional(),
    warnVersion: versionSchema.optional(),
    audit: levelSchema.optional(),
    auditVersion: versionSchema.optional(),
  })
  .strict();

const hostPortSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]*):\d{1,5}$/, 'must be HOST:PORT (IPv6 in brackets)');

/** The schema of admission.yaml. */
export const admissionConfigSchema = z
  .object({
    apiVersion: z.literal('palisade.dev/v1'),
    kind: z.literal('AdmissionConfiguration'),
    metadata: z.record(z.string(), z.unknown()).optional(),
    listen: hostPortSchema.default('0.0.0.0:8443'),
    tls: z
      .object({
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        /** CA that signs the API server's client certificate; enables client verification. */
        clientCAFile: z.string().min(1).optional(),
        /** Accepted client certificate common names (any name signed by the CA when empty). */
        clientNames: z.array(z.string().min(1)).default([]),
        /** How often the certificate files are checked for changes. */
        reloadIntervalMs: z.number().int().min(50).max(3_600_000).default(2000),
      })
      .strict()
      .default({ clientNames: [], reloadIntervalMs: 2000 }),
    /** Largest request body accepted, in bytes (the API server sends at most 3 MiB objects). */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(3 * 1024 * 1024),
    defaults: modesSchema.default({}),
    exemptions: z
      .object({
        usernames: z.array(z.string().min(1)).default([]),
        namespaces: z.array(z.string().min(1)).default([]),
        runtimeClasses: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ usernames: [], namespaces: [], runtimeClasses: [] }),
    /**
     * Where namespace labels come from: `cluster` watches the Namespaces of the cluster (the
     * start fails when they cannot be listed), `config` uses `namespaces:` only, `auto` watches
     * when a kubeconfig or in-cluster service account is found.
     */
    namespaceSource: z.enum(['auto', 'cluster', 'config']).default('auto'),
    /** Labels of namespaces by name; override the watched labels of those namespaces. */
    namespaces: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    /** Named sets of built-in controls, usable as mode values: control ids, globs or set names. */
    policySets: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).default({}),
    /** Files or folders of CEL policies (ValidatingAdmissionPolicy, MutatingAdmissionPolicy + bindings). */
    policies: z.array(z.string().min(1)).default([]),
    /** What a built-in control that throws does to the request; CEL policies carry their own. */
    failurePolicy: failurePolicySchema.default('Fail'),
    /** What happens when the policy evaluator itself fails (not one policy). */
    policyFailurePolicy: failurePolicySchema.default('Fail'),
    /** Per-control settings, keyed by control id. */
    controlSettings: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    /** Where and how long reviews are evaluated: worker threads, a deadline, a bounded queue. */
    evaluation: z
      .object({
        /** Worker threads evaluating reviews (default: one per CPU but one, at least one). */
        threads: z.number().int().min(1).max(256).optional(),
        /** A review not decided by then is answered per `failurePolicy` (below the webhook's 3 s timeout). */
        deadlineMs: z.number().int().min(10).max(30_000).default(2500),
        /** Reviews waiting for a thread beyond this many are answered at once per `failurePolicy` (default 128 per thread). */
        maxQueue: z.number().int().min(0).max(100_000).optional(),
        /** What a review cut at its deadline or shed from a full queue gets (default: the top-level failurePolicy). */
        failurePolicy: failurePolicySchema.optional(),
        /**
         * Reviews of at most this many bytes (default 16 KiB) are decided on the main thread,
         * their CEL policies under `inlineCostLimit`; larger or dearer ones go to the workers
         * (0: every review does). Handing a small review to a worker costs more CPU than
         * deciding it, see docs/admission.md.
         */
        inlineMaxBytes: z
          .number()
          .int()
          .min(0)
          .max(1024 * 1024)
          .default(16 * 1024),
        /** CEL cost of all the policies together for a review decided on the main thread; beyond it the review goes to a worker. */
        inlineCostLimit: z.number().int().min(1).max(10_000_000).default(5_000),
      })
      .strict()
      .default({ deadlineMs: 2500, inlineMaxBytes: 16 * 1024, inlineCostLimit: 5_000 }),
    /** Image rules: registries, digests, vulnerabilities and signatures (see docs/images.md). */
    images: imagesConfigSchema.optional(),
    decisionLog: z
      .object({
        size: z.number().int().min(0).max(1_000_000).default(1000),
        file: z.string().min(1).optional(),
      })
      .strict()
      .default({ size: 1000 }),
  })
  .strict();

/** admission.yaml after validation, with defaults filled in. */
export type AdmissionConfig = z.infer<typeof admissionConfigSchema>;

/** A problem in the configuration, with the field path at fault. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Validates a parsed admission.yaml document; every problem is returned with its path. */
export function parseAdmissionConfig(doc: unknown): Result<AdmissionConfig, ConfigIssue[]> {
  const parsed = admissionConfigSchema.safeParse(doc ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    error: parsed.error.issues.map((i) => ({
      path: i.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, ''),
      message: i.message,
    })),
  };
}

/** The three Pod-Security-Admission-style modes. */
export const MODES = ['enforce', 'warn', 'audit'] as const;
/** One of `MODES`. */
export type Mode = (typeof MODES)[number];

/** A mode's level: the control-set name and its version. */
export interface ModeLevel {
  name: string;
  version: string;
}

/** The control set a mode resolved to. */
export interface ResolvedLevel extends ModeLevel {
  controls: readonly CatalogEntry[];
  ids: ReadonlySet<string>;
}

/** Everything `decide` needs, resolved once. */
export interface CompiledAdmissionConfig {
  defaults: Readonly<Partial<Record<Mode, ResolvedLevel>>>;
  exemptions: {
    usernames: ReadonlySet<string>;
    namespaces: ReadonlySet<string>;
    runtimeClasses: ReadonlySet<string>;
  };
  /** Resolves a label value to controls; cached, undefined for an unknown name. */
  resolveLevel(level: ModeLevel): ResolvedLevel | undefined;
  /** The strictest set: a mode whose namespace label names an unknown set and that has no cluster default. */
  strictest: ResolvedLevel;
  namespaces: NamespaceLookup;
  policies: PolicyEvaluator;
  failurePolicy: 'Fail' | 'Ignore';
  policyFailurePolicy: 'Fail' | 'Ignore';
  controlSettings: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The image rules, when `images:` is configured. */
  images?: CompiledImageGate;
}

/** The ports a configuration is compiled against; each has a default. */
export interface CompileAdmissionOptions {
  resolveControls?: ControlSetResolver;
  policies?: PolicyEvaluator;
  /**
   * Where Namespace objects come from (e.g. the watch of the live cluster); the file's
   * `namespaces:` map overrides it for the namespaces it names.
   */
  namespaces?: NamespaceLookup;
  /** Every control, for `all`, globs in policy sets and the strictest fallback. */
  catalog?: readonly CatalogEntry[];
  /** Facts about images (default: the verdict store file of `images.store`, read-only). */
  imageFacts?: ImageFacts;
}

const MAX_CACHED_LEVELS = 512;

/** Compiles a validated configuration; unknown default control sets are reported with their path. */
export function compileAdmissionConfig(
  config: AdmissionConfig,
  options: CompileAdmissionOptions = {},
): Result<CompiledAdmissionConfig, ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const baseResolver = options.resolveControls ?? frameworkControlSets(options.catalog);
  // `all` is the whole catalogue; the strictest fallback and globs also see PSS restricted.
  const allControls =
    options.catalog ?? unique([...(baseResolver('all') ?? []), ...(baseResolver('pss:restricted') ?? [])]);

  const sets = new Map<string, readonly CatalogEntry[]>();
  for (const [setName, members] of Object.entries(config.policySets)) {
    const chosen = new Map<string, CatalogEntry>();
    members.forEach((member, i) => {
      const byId = allControls.filter((c) => c.id === member);
      const matched = member.includes('*')
        ? allControls.filter((c) => globToRegExp(member).test(c.id))
        : byId.length > 0
          ? byId
          : (baseResolver(member) ?? []);
      if (matched.length === 0)
        issues.push({
          path: `policySets.${setName}[${i}]`,
          message: `"${member}" names no control, control glob or control set`,
        });
      for (const c of matched) chosen.set(c.id, c);
    });
    sets.set(setName, [...chosen.values()]);
  }

  const cache = new Map<string, ResolvedLevel | undefined>();
  const resolveLevel = (level: ModeLevel): ResolvedLevel | undefined => {
    const key = `${level.name}\u0000${level.version}`;
    if (cache.has(key)) return cache.get(key);
    const controls = sets.get(level.name) ?? baseResolver(level.name, level.version);
    const resolved = controls ? { ...level, controls, ids: new Set(controls.map((c) => c.id)) } : undefined;
    // Label values come from users; keep the cache bounded.
    if (cache.size >= MAX_CACHED_LEVELS) cache.clear();
    cache.set(key, resolved);
    return resolved;
  };

  const defaults: Partial<Record<Mode, ResolvedLevel>> = {};
  for (const mode of MODES) {
    const name = config.defaults[mode];
    if (name === undefined) continue;
    const version = config.defaults[`${mode}Version`] ?? 'latest';
    const resolved = resolveLevel({ name, version });
    if (!resolved)
      issues.push({
        path: `defaults.${mode}`,
        message: `"${name}" is not a known control set or policy set`,
      });
    else defaults[mode] = resolved;
  }
  for (const [i, ns] of Object.keys(config.namespaces).entries()) {
    if (ns === '') issues.push({ path: `namespaces[${i}]`, message: 'namespace name must not be empty' });
  }
  let images: CompiledImageGate | undefined;
  if (config.images && issues.length === 0) {
    const compiled = compileImageGate(config.images, options.imageFacts);
    if (compiled.ok) images = compiled.value;
    else issues.push(...compiled.error);
  }
  if (issues.length > 0) return { ok: false, error: issues };

  const staticNamespaces = new Map<string, KubeObject>();
  for (const [name, labels] of Object.entries(config.namespaces)) {
    staticNamespaces.set(name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  }
  return {
    ok: true,
    value: {
      defaults,
      exemptions: {
        usernames: new Set(config.exemptions.usernames),
        namespaces: new Set(config.exemptions.namespaces),
        runtimeClasses: new Set(config.exemptions.runtimeClasses),
      },
      resolveLevel,
      strictest: {
        name: 'all',
        version: 'latest',
        controls: allControls,
        ids: new Set(allControls.map((c) => c.id)),
      },
      namespaces: options.namespaces
        ? (name) => staticNamespaces.get(name) ?? options.namespaces?.(name)
        : (name) => staticNamespaces.get(name),
      policies: options.policies ?? NO_POLICIES,
      failurePolicy: config.failurePolicy,
      policyFailurePolicy: config.policyFailurePolicy,
      controlSettings: config.controlSettings,
      ...(images ? { images } : {}),
    },
  };
}

/** Turns a `*`/`?` glob into an anchored RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function unique(controls: readonly CatalogEntry[]): CatalogEntry[] {
  const seen = new Map<string, CatalogEntry>();
  for (const c of controls) if (!seen.has(c.id)) seen.set(c.id, c);
  return [...seen.values()];
}
