/**
 * The image side of `palisade admission serve`: the verdict store the request path reads, and
 * the background job that scans and checks the images the webhook announces, in a worker
 * thread of its own (admission-images-thread.ts, admission-images-worker.ts) where it opens the
 * store for writing and loads the signature rules and the vulnerability database. Registry
 * calls, scans and matching happen there, never on the request path nor its event loop.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../core/index.js';
import type { ImagesConfig } from '../../admission/index.js';
import type { GateFinding, ImageFacts } from '../../images/gate.js';
import { ImageGateJob, type GateJobOptions, type GateJobPorts } from '../../images/gate-job.js';
import { ImageJobThread } from './admission-images-thread.js';
import { resolveRegistryCredentials } from '../../images/credentials.js';
import { parseImageReference } from '../../images/reference.js';
import { openRegistryImage, RegistryClient, type RegistryOptions } from '../../images/registry.js';
import { scanImage } from '../../images/scan.js';
import { fetchSignatureCandidates } from '../../images/signature-fetch.js';
import { loadSignatureRules, verifyImageSignatures, type SignatureRules } from '../../images/signatures.js';
import { parsePlatform, type Platform } from '../../images/types.js';
import { defaultVerdictStorePath, storeFacts, VerdictStore } from '../../images/verdict-store.js';
import {
  matchPackages,
  openVulnDb,
  resolveVulnDbPath,
  IMPORT_HINT,
  type VulnDb,
} from '../../vulndb/index.js';
import { signaturePolicyFingerprint } from '../../admission/index.js';

/** The running image side of the webhook. */
export interface ImageGateRuntime {
  /** Facts for decisions made on the main thread (unknown images are announced to the job). */
  facts: ImageFacts;
  job: ImageJobThread;
  close(): Promise<void>;
}

/** What the job's thread is started with. */
export interface ImageJobInit {
  images: ImagesConfig;
  env: Record<string, string | undefined>;
  /** References not to take again yet (cut at their deadline), with when. */
  done: [string, number][];
}

/** The hooks through which the job's thread reports to its supervisor. */
export type ImageJobHooks = Pick<GateJobOptions, 'onEvent' | 'onStart' | 'onFinish'>;

/** Resolves every path of `images:` against `cwd`, so evaluation threads read the same files. */
export function resolveImagePaths(images: ImagesConfig, cwd: string, env: NodeJS.ProcessEnv): ImagesConfig {
  const r = (f: string): string => path.resolve(cwd, f);
  return {
    ...images,
    store: r(images.store ?? defaultVerdictStorePath(env)),
    ...(images.vulnDb !== undefined ? { vulnDb: r(images.vulnDb) } : {}),
    registry: {
      ...images.registry,
      ...(images.registry.caFile !== undefined ? { caFile: r(images.registry.caFile) } : {}),
      ...(images.registry.cacheDir !== undefined ? { cacheDir: r(images.registry.cacheDir) } : {}),
    },
    ...(images.signatures
      ? {
          signatures: {
            ...images.signatures,
            keys: images.signatures.keys.map(r),
            ...(images.signatures.trustedRoot !== undefined
              ? { trustedRoot: r(images.signatures.trustedRoot) }
              : {}),
          },
        }
      : {}),
  };
}

async function readOrFail(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new InputError(`${file}: cannot read the ${what}`);
  }
}

/**
 * The job itself, in the thread that calls this (admission-images-worker.ts): opens the store
 * for writing, loads keys, trust root and database, and listens for announced images.
 */
export async function startImageJob(
  init: ImageJobInit,
  hooks: ImageJobHooks,
): Promise<{ job: ImageGateJob; close(): Promise<void> }> {
  const { images, env } = init;
  let rules: SignatureRules | undefined;
  let policy: string | undefined;
  const sigs = images.signatures;
  if (sigs) {
    const keys = await Promise.all(
      sigs.keys.map(async (k) => ({ name: path.basename(k), pem: await readOrFail(k, 'public key') })),
    );
    const trustedRoot =
      sigs.trustedRoot !== undefined
        ? { name: sigs.trustedRoot, json: await readOrFail(sigs.trustedRoot, 'trusted root') }
        : undefined;
    rules = loadSignatureRules({
      keys,
      identities: sigs.identities,
      tlogThreshold: sigs.tlogThreshold,
      ctlogThreshold: sigs.ctlogThreshold,
      ...(trustedRoot ? { trustedRoot } : {}),
    });
    policy = signaturePolicyFingerprint(sigs);
  }
  let db: VulnDb | undefined;
  if (images.vulnerabilities) {
    const file = resolveVulnDbPath(images.vulnDb, env);
    try {
      db = openVulnDb(file);
    } catch {
      throw new InputError(
        `images.vulnerabilities needs a vulnerability database at ${file}; ${IMPORT_HINT}`,
      );
    }
  }
  const ca =
    images.registry.caFile !== undefined
      ? await readOrFail(images.registry.caFile, 'registry CA')
      : undefined;
  const platform =
    images.registry.platform !== undefined ? parsePlatform(images.registry.platform) : undefined;
  if (images.registry.platform !== undefined && platform === undefined)
    throw new InputError(`images.registry.platform ${images.registry.platform}: expected os/arch[/variant]`);

  const ports = imagePorts({
    env,
    ...(ca !== undefined ? { ca } : {}),
    ...(platform ? { platform } : {}),
    ...(images.registry.cacheDir !== undefined ? { cacheDir: images.registry.cacheDir } : {}),
    ...(db ? { db } : {}),
    ...(rules ? { rules } : {}),
  });

  const store = VerdictStore.openForWrite(images.store ?? defaultVerdictStorePath(env));
  const job = new ImageGateJob({
    store,
    ports,
    ...(policy !== undefined ? { signaturePolicy: policy } : {}),
    ...(images.job?.maxQueue !== undefined ? { maxQueue: images.job.maxQueue } : {}),
    done: init.done,
    ...hooks,
  });
  return {
    job,
    close: async () => {
      await job.close();
      store.close();
      db?.close();
    },
  };
}

/** The job's thread module: the build's, or the sources' through tsx. */
function jobThreadFile(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('./admission-images-worker-dev.js', here)
    : new URL('./admission-images-worker.js', here);
}

/** Default deadline of one image in the background job. */
const JOB_DEADLINE_MS = 600_000;

/**
 * Starts the job's thread (rejects with its reason when it cannot start: a key, trust root or
 * database that does not load) and opens the store the main thread's decisions read (paths
 * already absolute).
 */
export async function startImageGate(
  images: ImagesConfig,
  env: NodeJS.ProcessEnv,
  log: (level: 'info' | 'warn', fields: Record<string, unknown>, message: string) => void,
  options: { threadFile?: URL } = {},
): Promise<ImageGateRuntime> {
  const file = images.store ?? defaultVerdictStorePath(env);
  // Created (with its schema) here, before the thread and the evaluation threads open it.
  VerdictStore.openForWrite(file).close();
  let job: ImageJobThread;
  try {
    job = await ImageJobThread.start({
      filename: options.threadFile ?? jobThreadFile(),
      workerData: (done): ImageJobInit => ({ images, env: { ...env }, done }),
      deadlineMs: (images.job?.deadlineSeconds ?? 0) * 1000 || JOB_DEADLINE_MS,
      onEvent: (e) => {
        const level =
          e.outcome.endsWith('failed') ||
          e.outcome === 'dropped' ||
          e.outcome === 'deadline' ||
          e.outcome === 'thread-exited'
            ? 'warn'
            : 'info';
        log(
          level,
          {
            image: e.ref,
            digest: 'digest' in e ? e.digest : undefined,
            outcome: e.outcome,
            detail: e.message,
          },
          'image check',
        );
      },
    });
  } catch (e) {
    throw new InputError(e instanceof Error ? e.message : String(e));
  }
  const store = VerdictStore.openReadOnly(file);
  // Unknown images are announced on the store's channel, where the job's thread listens.
  const facts = storeFacts(store);
  return {
    facts,
    job,
    close: async () => {
      await job.close();
      facts.close();
      store.close();
    },
  };
}

/** Where and how the registry-side ports reach registries. */
export interface ImagePortOptions {
  env: NodeJS.ProcessEnv;
  ca?: string;
  platform?: Platform;
  cacheDir?: string;
  /** Matches packages when given; scans list packages only otherwise. */
  db?: VulnDb;
  /** Checks signatures when given. */
  rules?: SignatureRules;
}

/** Resolve, scan and verify over registries (credentials from the docker config of `env`). */
export function imagePorts(o: ImagePortOptions): GateJobPorts {
  const { env, ca, platform, db, rules, cacheDir } = o;
  const optionsFor = async (registry: string): Promise<RegistryOptions> => {
    const credentials = await resolveRegistryCredentials(registry, env);
    return {
      ...(credentials ? { credentials } : {}),
      ...(ca !== undefined ? { ca } : {}),
      ...(platform ? { platform } : {}),
      ...(cacheDir !== undefined ? { cacheDir } : {}),
    };
  };
  const withClient = async <T>(ref: string, use: (c: RegistryClient) => Promise<T>): Promise<T> => {
    const parsed = parseImageReference(ref);
    const client = new RegistryClient(parsed, await optionsFor(parsed.registry));
    try {
      return await use(client);
    } finally {
      await client.close();
    }
  };

  return {
    resolve: (ref) =>
      withClient(ref, async (c) => (await c.getManifest(parseImageReference(ref).tag ?? 'latest')).digest),
    scan: async (ref, digest) => {
      const parsed = parseImageReference(ref);
      const source = await openRegistryImage(
        { registry: parsed.registry, repository: parsed.repository, digest },
        await optionsFor(parsed.registry),
      );
      try {
        const result = await scanImage(source);
        const findings: GateFinding[] = db
          ? matchPackages(db, result.packages)
              .filter((m) => !m.suppressed)
              .map((m) => {
                const f: GateFinding = {
                  id: m.id,
                  severity: m.severity,
                  package: `${m.package.name}@${m.package.version}`,
                  location: `${m.package.location.layerDigest ?? ''}:${m.package.location.path}`,
                };
                const aliases = m.ids.filter((i) => i !== m.id);
                if (aliases.length > 0) f.aliases = aliases;
                if (m.cvssScore !== undefined) f.cvss = m.cvssScore;
                if (m.fixedVersions[0] !== undefined) f.fixedVersion = m.fixedVersions[0];
                return f;
              })
          : [];
        return { packages: result.packages.length, findings };
      } finally {
        await source.close();
      }
    },
    ...(rules
      ? {
          verify: (ref: string, digest: string) =>
            withClient(ref, async (c) =>
              verifyImageSignatures(await fetchSignatureCandidates(c, digest), digest, rules),
            ),
        }
      : {}),
  };
}
