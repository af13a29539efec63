import { existsSync } from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import YAML from 'yaml';
import { InputError, UsageError } from '../../core/index.js';
import {
  DecisionLog,
  DecisionRing,
  JsonLinesSink,
  applyObjects,
  assembleInstallManifests,
  compileAdmissionConfig,
  createWebhookCertificates,
  defaultAdmissionConfigYaml,
  loadCelPolicies as loadPolicyFiles,
  parseAdmissionConfig,
  startAdmissionServer,
  startReviewPool,
  watchNamespaces,
  type AdmissionConfig,
  type DecisionSink,
  type NamespaceWatch,
  type ReviewPool,
  type CompileAdmissionOptions,
  type PolicyEvaluator,
} from '../../admission/index.js';
import type { CliIO } from '../io.js';
import { MANIFEST_FORMATS, parseOutputs, renderData, writeOutputs } from '../output.js';
import type { Store } from '../../store/index.js';
import { requestTimeoutMs, retryNotice } from './cluster-source.js';
import { batchedWriter } from '../batched-writer.js';
import { listenForStop } from '../stop.js';
import { palisadeVersion } from '../version.js';

/** Loads CEL policies for `--policy`/`policies:` (tests may pass another). */
export type PolicyLoader = (paths: readonly string[], cwd: string) => Promise<PolicyEvaluator>;

/** What `runAdmissionServe` needs beyond its flags; tests pass a signal to stop it. */
export interface ServeDeps {
  signal?: AbortSignal;
  onListening?: (url: string) => void;
  loadPolicies?: PolicyLoader;
  compileOptions?: CompileAdmissionOptions;
  /** Lower the priority of the process's other threads below the main thread's (default true). */
  threadPriorities?: boolean;
}

/** Loads and compiles CEL policy files; any load or compile error stops the server from starting. */
export const loadCelPolicies: PolicyLoader = loadPolicyFiles;

async function readYamlFile(file: string, cwd: string): Promise<unknown> {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first?.linePos?.[0].line;
    throw new InputError(
      `${file}${line !== undefined ? `:${line}` : ''}: ${first?.message ?? 'invalid YAML'}`,
    );
  }
  return doc.toJS() as unknown;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Reads admission.yaml (or the defaults), applies the flags and validates the result. */
export async function loadServeConfig(opts: Record<string, unknown>, cwd: string): Promise<AdmissionConfig> {
  const configFile = str(opts.config);
  const raw = (configFile !== undefined ? await readYamlFile(configFile, cwd) : undefined) ?? {
    apiVersion: 'palisade.dev/v1',
    kind: 'AdmissionConfiguration',
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError(`${configFile ?? 'configuration'}: must be a mapping`);
  const doc = structuredClone(raw) as Record<string, unknown>;
  const tls = { ...((doc.tls as Record<string, unknown> | undefined) ?? {}) };
  const defaults = { ...((doc.defaults as Record<string, unknown> | undefined) ?? {}) };
  if (str(opts.listen) !== undefined) doc.listen = opts.listen;
  if (str(opts.tlsCertFile) !== undefined) tls.certFile = opts.tlsCertFile;
  if (str(opts.tlsKeyFile) !== undefined) tls.keyFile = opts.tlsKeyFile;
  if (str(opts.clientCaFile) !== undefined) tls.clientCAFile = opts.clientCaFile;
  for (const mode of ['enforce', 'warn', 'audit'] as const)
    if (str(opts[mode]) !== undefined) defaults[mode] = opts[mode];
  if (Array.isArray(opts.policy) && opts.policy.length > 0) doc.policies = opts.policy;
  if (str(opts.maxBodyBytes) !== undefined) {
    const n = Number(opts.maxBodyBytes);
    if (!Number.isInteger(n))
      throw new UsageError(`--max-body-bytes must be an integer (got "${String(opts.maxBodyBytes)}")`);
    doc.maxBodyBytes = n;
  }
  if (str(opts.namespaceSource) !== undefined) doc.namespaceSource = opts.namespaceSource;
  if (str(opts.threads) !== undefined) {
    const n = Number(opts.threads);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`--threads must be a positive integer (got "${String(opts.threads)}")`);
    doc.evaluation = { ...(doc.evaluation ?? {}), threads: n };
  }
  if (str(opts.decisionLog) !== undefined)
    doc.decisionLog = {
      ...(doc.decisionLog ?? {}),
      file: opts.decisionLog,
    };
  doc.tls = tls;
  doc.defaults = defaults;
  const parsed = parseAdmissionConfig(doc);
  if (!parsed.ok)
    throw new InputError(
      `${configFile ?? 'configuration'} is invalid:\n${parsed.error.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    );
  return parsed.value;
}

function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--listen port must be 0-65535 (got "${listen}")`);
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** Runs `palisade admission serve` until SIGTERM/SIGINT (or the signal); returns the exit code. */
export async function runAdmissionServe(
  opts: Record<string, unknown>,
  io: CliIO,
  deps: ServeDeps = {},
): Promise<number> {
  const config = await loadServeConfig(opts, io.cwd);
  const { certFile, keyFile } = config.tls;
  if (certFile === undefined || keyFile === undefined)
    throw new UsageError(
      'a serving certificate is required: --tls-cert-file and --tls-key-file (or tls: in the config); see palisade admission cert',
    );
  const resolve = (f: string): string => path.resolve(io.cwd, f);
  const policies =
    config.policies.length > 0
      ? await (deps.loadPolicies ?? loadCelPolicies)(config.policies, io.cwd)
      : undefined;
  // Tests that inject in-memory ports decide on the main thread: workers compile from files.
  const inline = deps.loadPolicies !== undefined || deps.compileOptions !== undefined;
  // Image rules: the store and the background job live on this thread; workers read the store.
  let logImage: (level: 'info' | 'warn', fields: Record<string, unknown>, message: string) => void = () =>
    undefined;
  let imageGate: import('./admission-images.js').ImageGateRuntime | undefined;
  if (config.images) {
    const { resolveImagePaths, startImageGate } = await import('./admission-images.js');
    config.images = resolveImagePaths(config.images, io.cwd, { ...io.env });
    imageGate = await startImageGate(config.images, { ...io.env }, (level, fields, message) => {
      logImage(level, fields, message);
    });
  }
  const watch = await startNamespaceSource(config, opts, io);
  const compiled = compileAdmissionConfig(config, {
    ...(watch ? { namespaces: (name: string) => watch.get(name) } : {}),
    ...(imageGate ? { imageFacts: imageGate.facts } : {}),
    ...deps.compileOptions,
    ...(policies ? { policies } : {}),
  });
  if (!compiled.ok) {
    await imageGate?.close();
    await watch?.stop();
    throw new InputError(
      `configuration is invalid:\n${compiled.error.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    );
  }
  // One write per turn of the event loop, not one per decision (see batched-writer.ts).
  const logOut = batchedWriter((s) => {
    io.stdout.write(s);
  });
  const logger = pino(
    {
      level: str(opts.logLevel) ?? 'info',
      base: { service: 'palisade-admission', version: palisadeVersion() },
    },
    logOut,
  );
  logImage = (level, fields, message) => {
    logger[level](fields, message);
  };
  const { host, port } = splitHostPort(config.listen);
  const sinks: DecisionSink[] =
    config.decisionLog.file !== undefined
      ? [
          new JsonLinesSink(resolve(config.decisionLog.file), (e) => {
            logger.error({ error: e.message }, 'decision log file failed');
          }),
        ]
      : [];
  // --db: decisions also go to the history store, buffered and written off the request path.
  let decisionStore: Store | undefined;
  if (str(opts.db) !== undefined || io.env.PALISADE_DB !== undefined) {
    const { openCliStore } = await import('./record.js');
    const { storeDecisionSink } = await import('../../store/index.js');
    decisionStore = await openCliStore(str(opts.db), io);
    const cluster = str(opts.clusterName);
    const sink = storeDecisionSink(decisionStore, {
      ...(cluster !== undefined ? { cluster } : {}),
      onError: (e) => {
        logger.error({ error: e.message }, 'recording decisions in the store failed');
      },
    });
    sinks.push(sink);
  }
  let server;
  let pool: ReviewPool | undefined;
  try {
    if (!inline)
      pool = await startReviewPool({
        config,
        cwd: io.cwd,
        ...(config.evaluation.threads !== undefined ? { threads: config.evaluation.threads } : {}),
        deadlineMs: config.evaluation.deadlineMs,
        ...(config.evaluation.maxQueue !== undefined ? { maxQueue: config.evaluation.maxQueue } : {}),
        inline: { maxBytes: config.evaluation.inlineMaxBytes, costLimit: config.evaluation.inlineCostLimit },
        ...(policies ? { policies } : {}),
        ...(watch ? { namespaces: watch } : {}),
      });
    server = await startAdmissionServer({
      ...(pool ? { pool } : {}),
      overloadFailurePolicy: config.evaluation.failurePolicy ?? config.failurePolicy,
      config: compiled.value,
      tls: {
        certFile: resolve(certFile),
        keyFile: resolve(keyFile),
        ...(config.tls.clientCAFile !== undefined ? { clientCAFile: resolve(config.tls.clientCAFile) } : {}),
        clientNames: config.tls.clientNames,
        reloadIntervalMs: config.tls.reloadIntervalMs,
      },
      host,
      port,
      maxBodyBytes: config.maxBodyBytes,
      logger,
      decisionLog: new DecisionLog(new DecisionRing(config.decisionLog.size), sinks),
    });
  } catch (e) {
    await pool?.close();
    await watch?.stop();
    await imageGate?.close();
    await decisionStore?.close();
    logOut.flush();
    throw new InputError(`cannot start the webhook: ${e instanceof Error ? e.message : String(e)}`);
  }
  const stop = listenForStop({ signal: deps.signal, stderr: io.stderr });
  // Every other thread (V8's garbage collection helpers, the libuv pool; the workers lower
  // their own) yields to the main thread, which answers the probes and the small reviews.
  const { BACKGROUND_NICE, lowerOtherThreadsPriority } = await import('../../admission/thread-priority.js');
  if (deps.threadPriorities !== false) lowerOtherThreadsPriority(BACKGROUND_NICE);
  logger.info(
    {
      url: server.url,
      threads: pool?.threads ?? 0,
      deadlineMs: config.evaluation.deadlineMs,
      namespaceSource: watch ? 'cluster' : 'config',
    },
    'admission webhook listening',
  );
  deps.onListening?.(server.url);
  try {
    await stop.requested;
    logger.info('shutting down');
    await server.close();
    await watch?.stop();
    await imageGate?.close();
    await decisionStore?.close();
  } finally {
    logOut.flush();
    stop.dispose();
  }
  return 0;
}

/**
 * The live namespace labels, per `namespaceSource`: `cluster` must list them or the start
 * fails; `auto` watches when a kubeconfig (the flag, $KUBECONFIG, ~/.kube/config) or an
 * in-cluster service account is there, and otherwise uses the file's `namespaces:` only.
 */
async function startNamespaceSource(
  config: AdmissionConfig,
  opts: Record<string, unknown>,
  io: CliIO,
): Promise<NamespaceWatch | undefined> {
  if (config.namespaceSource === 'config') return undefined;
  const kubeconfig = str(opts.kubeconfig);
  const home = process.env.HOME ?? '';
  const found =
    kubeconfig !== undefined ||
    (process.env.KUBECONFIG ?? '') !== '' ||
    (home !== '' && existsSync(path.join(home, '.kube', 'config'))) ||
    (process.env.KUBERNETES_SERVICE_HOST ?? '') !== '';
  if (!found) {
    if (config.namespaceSource === 'cluster')
      throw new InputError(
        'namespaceSource is cluster but no kubeconfig or in-cluster service account was found: use --kubeconfig',
      );
    io.stderr.write(
      'palisade: no cluster configured: namespace labels come from the configuration file only (namespaceSource: config to silence)\n',
    );
    return undefined;
  }
  try {
    return await watchNamespaces({
      ...(kubeconfig !== undefined ? { kubeconfig: path.resolve(io.cwd, kubeconfig) } : {}),
      ...(typeof opts.context === 'string' ? { context: opts.context } : {}),
      onError: (message) => {
        io.stderr.write(`palisade: ${message}\n`);
      },
    });
  } catch (e) {
    throw new InputError(
      `${e instanceof Error ? e.message : String(e)} (namespace labels select the modes; namespaceSource: config uses the configuration file only)`,
    );
  }
}

/** Runs `palisade admission install`: prints the manifests; returns the exit code. */
export async function runAdmissionInstall(opts: Record<string, unknown>, io: CliIO): Promise<number> {
  const outputs = parseOutputs(opts.output, opts.outputFile, MANIFEST_FORMATS);
  const webhookUrl = str(opts.webhookUrl);
  if (webhookUrl !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(webhookUrl);
    } catch {
      u = undefined;
    }
    if (u?.protocol !== 'https:' || u.search !== '' || u.hash !== '')
      throw new UsageError(`--webhook-url must be an https:// URL without query (got "${webhookUrl}")`);
    if (str(opts.caFile) === undefined && opts.skipCertificates !== true)
      throw new UsageError(
        "--webhook-url needs --ca-file: the CA that signed the running webhook's certificate",
      );
  }
  if (opts.apply !== true && (str(opts.kubeconfig) !== undefined || str(opts.context) !== undefined))
    throw new UsageError('--kubeconfig and --context go with --apply');
  const namespace = str(opts.namespace) ?? 'palisade-system';
  const service = str(opts.service) ?? 'palisade';
  for (const [flag, v] of [
    ['--namespace', namespace],
    ['--service', service],
  ] as const)
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v))
      throw new UsageError(`${flag} must be a DNS label (got "${v}")`);
  const replicas = Number(opts.replicas ?? 2);
  if (!Number.isInteger(replicas) || replicas < 1)
    throw new UsageError(`--replicas must be a positive integer (got "${String(opts.replicas)}")`);
  const configFile = str(opts.config);
  let configYaml = defaultAdmissionConfigYaml();
  if (configFile !== undefined) {
    const doc = await readYamlFile(configFile, io.cwd);
    const parsed = parseAdmissionConfig(doc);
    if (!parsed.ok)
      throw new InputError(
        `${configFile} is invalid:\n${parsed.error.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
      );
    configYaml = await readFile(path.resolve(io.cwd, configFile), 'utf8');
  }

  const read = async (flag: string, file: string | undefined): Promise<string | undefined> => {
    if (file === undefined) return undefined;
    try {
      return await readFile(path.resolve(io.cwd, file), 'utf8');
    } catch (e) {
      throw new InputError(`${flag} ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  let caCert = await read('--ca-file', str(opts.caFile));
  const cert = await read('--tls-cert-file', str(opts.tlsCertFile));
  const key = await read('--tls-key-file', str(opts.tlsKeyFile));
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('--tls-cert-file and --tls-key-file go together');
  let servingCert = cert !== undefined && key !== undefined ? { cert, key } : undefined;
  if (webhookUrl !== undefined) {
    // The webhook runs elsewhere with its own certificate: only the caBundle is needed.
    servingCert = undefined;
    if (opts.skipCertificates === true) caCert = undefined;
  } else if (opts.skipCertificates === true) {
    caCert = undefined;
    servingCert = undefined;
  } else if (!servingCert) {
    if (caCert !== undefined)
      throw new UsageError('--ca-file needs --tls-cert-file and --tls-key-file (the certificate it signed)');
    const generated = await createWebhookCertificates({ service, namespace });
    caCert = generated.ca.cert;
    servingCert = generated.serving;
    io.stderr.write(
      `Generated a new CA and serving certificate for ${generated.names.join(', ')} (valid until ${generated.notAfter.toISOString().slice(0, 10)}).\n` +
        'The CA key is not kept: run palisade admission cert to keep one for repeatable installs.\n',
    );
  } else if (caCert === undefined) throw new UsageError('--tls-cert-file needs --ca-file for the caBundle');

  const objects = assembleInstallManifests({
    namespace,
    service,
    image: str(opts.image) ?? `ghcr.io/palisade-dev/palisade:${palisadeVersion()}`,
    replicas,
    configYaml,
    validateFailurePolicy: opts.validateFailurePolicy === 'Fail' ? 'Fail' : 'Ignore',
    mutateFailurePolicy: opts.mutateFailurePolicy === 'Fail' ? 'Fail' : 'Ignore',
    allResources: opts.allResources === true,
    ...(caCert !== undefined ? { caCert } : {}),
    ...(servingCert ? { servingCert } : {}),
    ...(webhookUrl !== undefined ? { webhookUrl } : {}),
  });
  if (opts.apply === true) {
    const kubeconfig = str(opts.kubeconfig);
    const context = str(opts.context);
    const timeoutMs = requestTimeoutMs(str(opts.requestTimeout));
    const applied = await applyObjects(objects, {
      ...(kubeconfig !== undefined ? { kubeconfig: path.resolve(io.cwd, kubeconfig) } : {}),
      ...(context !== undefined ? { context } : {}),
      ...(timeoutMs !== undefined ? { requestTimeoutMs: timeoutMs } : {}),
      onRetry: retryNotice(io, 'the API server', false),
    });
    for (const a of applied)
      io.stdout.write(
        `${a.kind}/${a.namespace !== undefined ? `${a.namespace}/` : ''}${a.name} ${a.action}\n`,
      );
    return 0;
  }
  await writeOutputs(outputs, io, (format) =>
    format === 'json'
      ? renderData('json', { apiVersion: 'v1', kind: 'List', items: objects })
      : objects.map((o) => YAML.stringify(o, { lineWidth: 0 })).join('---\n'),
  );
  return 0;
}

/** Runs `palisade admission cert`: writes the CA and certificates; returns the exit code. */
export async function runAdmissionCert(opts: Record<string, unknown>, io: CliIO): Promise<number> {
  const days = Number(opts.days ?? 365);
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw new UsageError(`--days must be 1-3650 (got "${String(opts.days)}")`);
  const outDir = path.resolve(io.cwd, str(opts.outDir) ?? '.');
  const clientCn = str(opts.clientCn);
  const files = [
    'ca.crt',
    'ca.key',
    'tls.crt',
    'tls.key',
    ...(clientCn !== undefined ? ['client.crt', 'client.key'] : []),
  ];
  if (opts.force !== true) {
    const existing = files.filter((f) => existsSync(path.join(outDir, f)));
    if (existing.length > 0)
      throw new UsageError(`${existing.join(', ')} already exist in ${outDir} (use --force to replace)`);
  }
  const certs = await createWebhookCertificates({
    service: str(opts.service) ?? 'palisade',
    namespace: str(opts.namespace) ?? 'palisade-system',
    clusterDomain: str(opts.clusterDomain) ?? 'cluster.local',
    extraNames: Array.isArray(opts.extraName) ? (opts.extraName as string[]) : [],
    days,
    ...(clientCn !== undefined ? { clientCommonName: clientCn } : {}),
  });
  const contents: Record<string, string> = {
    'ca.crt': certs.ca.cert,
    'ca.key': certs.ca.key,
    'tls.crt': certs.serving.cert,
    'tls.key': certs.serving.key,
  };
  if (certs.client) {
    contents['client.crt'] = certs.client.cert;
    contents['client.key'] = certs.client.key;
  }
  for (const [name, text] of Object.entries(contents)) {
    const file = path.join(outDir, name);
    await io.writeFile(file, text);
    // Private keys readable by their owner only (a no-op for in-memory IO).
    if (name.endsWith('.key')) await chmod(file, 0o600).catch(() => undefined);
  }
  io.stdout.write(
    `Wrote ${Object.keys(contents).join(', ')} to ${outDir}\n` +
      `Serving certificate names: ${certs.names.join(', ')}\n` +
      `Valid until ${certs.notAfter.toISOString()}\n`,
  );
  return 0;
}
