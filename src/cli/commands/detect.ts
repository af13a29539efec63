/**
 * `palisade detect run` and `palisade detect test`: read event files (streamed line by line,
 * each line bounded), feeds and rule files; run the detector; write alerts as they are raised.
 */
import { stringify as toYaml } from 'yaml';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { InputError, UsageError } from '../../core/index.js';
import {
  ALERT_FORMATS,
  alertCef,
  alertEcs,
  alertJson,
  alertSlack,
  alertSyslog,
  alertTableRow,
  atLeast,
  builtinRules,
  compileRules,
  createDetector,
  IntelIndex,
  normalizeRecord,
  parseFeed,
  readRuleText,
  runRuleTests,
  EMPTY_SETTINGS,
  SUPERSEDED_FLOW_RULE,
  type Alert,
  type AlertFormat,
  type DetectEvent,
  AnomalyModel,
  parseBaseline,
  type BaselineFile,
  type CompiledRule,
  type RuleError,
  type Severity,
} from '../../detect/index.js';
import type { CliIO } from '../io.js';
import type { AlertInput } from '../../store/index.js';
import { parseOutputs, renderData, writeOutputs, type OutputFormats } from '../output.js';
import { listenForStop, pauseUnlessStopped } from '../stop.js';
import { palisadeVersion } from '../version.js';

/** Options of `detect run`. */
export interface DetectRunOptions {
  output: string[];
  outputFile?: string;
  rules: string[];
  builtin: boolean;
  feeds: string[];
  approvedRegistries: string[];
  trustedSubjects: string[];
  trustedNetworks: string[];
  dedup: string;
  follow: boolean;
  failOn: string;
  quiet: boolean;
  /** SIEM destinations (syslog+udp|tcp|tls://, http(s)://). */
  sinks?: string[];
  /** History store the alerts are also recorded in (`--db`). */
  db?: string;
  /** Baseline file of learned behaviour: read, scored against, updated and written back. */
  baseline?: string;
  /** Score against the baseline without updating it. */
  freezeBaseline?: boolean;
  /** With --db: how often learned baselines are written to the store (`--baseline-every`, default 1m). */
  baselineEvery?: string;
  /** Only learn the events into the baseline (`detect learn`). */
  learnOnly?: boolean;
  /** Stops following (tests; the CLI stops on SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Consume the normalised stream of `detect serve --publish` instead of files: nats://HOST:PORT[/STREAM]. */
  from?: string;
  /** The durable consumer replicas share (`--consumer`, default palisade-detect). */
  consumer?: string;
  /** With --from: stop once the stream has been idle this long (`--idle-exit`, e.g. 5s). */
  idleExit?: string;
  /** With --from: how long an event taken by a replica waits for its acknowledgement (`--ack-wait`, default 10s). */
  ackWait?: string;
  /** Manifests whose NetworkPolicies flows are judged against (`--policies`, repeatable). */
  policies?: string[];
  /** Judge flows against the live cluster's NetworkPolicies (`--cluster`, `--context`, `--kubeconfig`). */
  cluster?: boolean;
  context?: string;
  kubeconfig?: string;
  /** With --follow and policies: how often the least-privilege report is written (`--report-every`, default 10m). */
  reportEvery?: string;
}

/** The longest record line read; longer lines are input errors (no unbounded buffering). */
const MAX_LINE_BYTES = 8 * 1024 * 1024;
/** The largest file read as one JSON document (an EventList or array) rather than as lines. */
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
const MAX_ERRORS_SHOWN = 20;
const FEED_TIMEOUT_MS = 15_000;

async function listRuleFiles(p: string): Promise<string[]> {
  const s = await stat(p).catch(() => undefined);
  if (!s) throw new UsageError(`${p}: no such file or directory`);
  if (s.isFile()) return [p];
  const out: string[] = [];
  for (const e of (await readdir(p, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(p, e.name);
    if (e.isDirectory()) out.push(...(await listRuleFiles(full)));
    else if (/\.(ya?ml|json)$/.test(e.name)) out.push(full);
  }
  return out;
}

/** Loads and compiles the built-in rules and the given rule files. */
async function loadRules(
  paths: readonly string[],
  builtin: boolean,
  cwd: string,
): Promise<{ rules: CompiledRule[]; errors: RuleError[] }> {
  const raws: { source: string; rule: unknown }[] = [];
  const errors: RuleError[] = [];
  for (const p of paths) {
    for (const file of await listRuleFiles(path.resolve(cwd, p))) {
      const r = readRuleText(path.relative(cwd, file) || file, await readFile(file, 'utf8'));
      raws.push(...r.rules);
      errors.push(...r.errors);
    }
  }
  const compiled = compileRules(raws);
  errors.push(...compiled.errors);
  const rules = builtin ? [...builtinRules(), ...compiled.rules] : compiled.rules;
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.spec.id))
      errors.push({
        source: 'rules',
        rule: r.spec.id,
        message: 'duplicate rule id (a built-in rule has it; rename yours or use --no-builtin)',
      });
    ids.add(r.spec.id);
  }
  return { rules, errors };
}

async function readFeedText(feed: string, cwd: string): Promise<string> {
  if (/^https?:\/\//.test(feed)) {
    const res = await fetch(feed, { signal: AbortSignal.timeout(FEED_TIMEOUT_MS) }).catch((e: unknown) => {
      const why =
        e instanceof Error && e.name === 'TimeoutError'
          ? `no answer within ${FEED_TIMEOUT_MS / 1000}s`
          : e instanceof Error
            ? e.message
            : String(e);
      throw new UsageError(`feed ${new URL(feed).host}: ${why}; check the URL and the network`);
    });
    if (!res.ok) throw new UsageError(`feed ${new URL(feed).host}: HTTP ${res.status}`);
    return res.text();
  }
  const file = path.resolve(cwd, feed);
  const s = await stat(file).catch(() => undefined);
  if (!s?.isFile()) throw new UsageError(`feed ${feed}: no such file`);
  if (s.size > MAX_DOCUMENT_BYTES)
    throw new UsageError(`feed ${feed}: larger than ${MAX_DOCUMENT_BYTES / 1048576} MiB`);
  return readFile(file, 'utf8');
}

type DetectFormat = AlertFormat | 'yaml';

/** Alert formats: one line (or one YAML document) per alert, streamed as alerts fire. */
const DETECT_FORMATS: OutputFormats<DetectFormat> = {
  formats: [...ALERT_FORMATS, 'yaml'],
  default: 'table',
  aliases: { text: 'table' },
};

function renderAlert(format: DetectFormat, a: Alert, host: string): string {
  switch (format) {
    case 'yaml':
      return `---\n${toYaml(alertJson(a), { lineWidth: 0 }).trimEnd()}`;
    case 'json':
      return JSON.stringify(alertJson(a));
    case 'ecs':
      return JSON.stringify(alertEcs(a));
    case 'cef':
      return alertCef(a, palisadeVersion());
    case 'syslog':
      return alertSyslog(a, host);
    case 'slack':
      return JSON.stringify(alertSlack(a));
    case 'table':
      return alertTableRow(a);
  }
}

/** Splits a byte stream into lines, never holding more than `max` bytes of one line. */
async function* boundedLines(
  stream: AsyncIterable<Buffer | string> | Iterable<Buffer>,
  max: number,
): AsyncGenerator<{ line: string; tooLong: boolean }> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      if (!tooLong) {
        if (size + (end - start) > max) {
          tooLong = true;
          parts = [];
          size = 0;
        } else {
          parts.push(chunk.subarray(start, end));
          size += end - start;
        }
      }
      if (nl < 0) break;
      yield { line: tooLong ? '' : Buffer.concat(parts, size).toString('utf8'), tooLong };
      parts = [];
      size = 0;
      tooLong = false;
      start = nl + 1;
    }
  }
  if (size > 0 || tooLong)
    yield { line: tooLong ? '' : Buffer.concat(parts, size).toString('utf8'), tooLong };
}

/** Options shared by `detect run` and `detect serve`. */
export type DetectCommonOptions = Omit<DetectRunOptions, 'follow' | 'signal'>;

interface Detection {
  model: AnomalyModel | undefined;
  rules: CompiledRule[];
  intel: IntelIndex;
  detector: ReturnType<typeof createDetector>;
  emit: (alerts: Alert[]) => void;
  /** Resolves when the alerts written to files so far have reached the operating system. */
  flush: () => Promise<void>;
  worst: () => Severity | undefined;
  close: () => Promise<void>;
  /** Writes text to every output whose format has a rendering of it (the least-privilege report). */
  write: (render: (format: DetectFormat) => string | undefined) => void;
}

/** Validates options, loads rules and feeds, opens the outputs; undefined when rule files are broken (reported). */
async function setupDetection(options: DetectCommonOptions, io: CliIO): Promise<Detection | undefined> {
  const outputs = parseOutputs(options.output, options.outputFile, DETECT_FORMATS);
  const dedup = Number(options.dedup);
  if (!Number.isInteger(dedup) || dedup < 0)
    throw new UsageError(`--dedup must be a whole number of seconds, not "${options.dedup}"`);
  for (const n of options.trustedNetworks)
    try {
      ipaddr.parseCIDR(n);
    } catch {
      throw new UsageError(`--trusted-network ${n}: not a CIDR (e.g. 203.0.113.0/24)`);
    }

  const { rules, errors } = await loadRules(options.rules, options.builtin, io.cwd);
  if (errors.length > 0) {
    for (const e of errors) io.stderr.write(`palisade: ${e.source}: rule ${e.rule}: ${e.message}\n`);
    return undefined;
  }
  if (rules.length === 0) throw new UsageError('no rules to run (--no-builtin and no --rules)');

  const intel = new IntelIndex();
  for (const feed of options.feeds) {
    const { indicators, issues } = parseFeed(feed, await readFeedText(feed, io.cwd));
    for (const i of issues.slice(0, MAX_ERRORS_SHOWN))
      io.stderr.write(`palisade: feed ${i.feed} ${i.where}: ${i.message}\n`);
    if (issues.length > MAX_ERRORS_SHOWN)
      io.stderr.write(`palisade: feed ${feed}: ${issues.length - MAX_ERRORS_SHOWN} more problems\n`);
    if (indicators.length === 0) throw new UsageError(`feed ${feed}: no indicators read`);
    for (const i of indicators) intel.add(i);
  }

  let model: AnomalyModel | undefined;
  const baselineFile = options.baseline === undefined ? undefined : path.resolve(io.cwd, options.baseline);
  if (baselineFile !== undefined) {
    const text = await readFile(baselineFile, 'utf8').catch((err: unknown) => {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT' && options.learnOnly === true) return undefined;
      throw new UsageError(
        e.code === 'ENOENT'
          ? `baseline ${options.baseline}: no such file (create it with palisade detect learn FILES --baseline ${options.baseline})`
          : `baseline ${options.baseline}: ${e.message}`,
      );
    });
    let parsed: BaselineFile | undefined;
    if (text !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new UsageError(`baseline ${options.baseline}: not JSON`);
      }
      const b = parseBaseline(json);
      if (!b.ok) throw new UsageError(`baseline ${options.baseline}: ${b.error}`);
      parsed = b.value;
    }
    model = new AnomalyModel(parsed);
  }

  const baselineEveryMs = shortDuration('--baseline-every', options.baselineEvery) ?? 60_000;
  if (baselineEveryMs < 1000) throw new UsageError('--baseline-every must be at least 1s');
  const store =
    options.db !== undefined ? await (await import('./record.js')).openCliStore(options.db, io) : undefined;
  // --db without --baseline: the baselines live in the history store (scored against when it
  // has some; `detect learn --db` starts them), written back as they change.
  const baselinesInStore = store !== undefined && baselineFile === undefined;
  if (baselinesInStore) {
    const rows = await store.loadBaselines();
    if (rows.length > 0 || options.learnOnly === true) {
      const b = parseBaseline({
        apiVersion: 'palisade.dev/v1',
        kind: 'DetectBaseline',
        identities: Object.fromEntries(rows.map((r) => [r.identity, r.model])),
      });
      if (!b.ok) {
        await store.close();
        throw new InputError(`${options.db ?? ''}: detection baselines: ${b.error}`);
      }
      model = new AnomalyModel(b.value);
    }
  }
  let baselineWrites: Promise<void> = Promise.resolve();
  /** Writes the baselines changed since the last write to the store (chained: one write at a time). */
  const saveBaselines = (): Promise<void> => {
    if (!baselinesInStore || !model || options.freezeBaseline === true) return baselineWrites;
    const changed = model.takeChanged();
    if (changed.length === 0) return baselineWrites;
    const now = Date.now();
    const rows = changed.map(([identity, b]) => ({
      identity,
      kind: b.kind,
      events: b.events,
      model: b,
      updatedAt: now,
    }));
    baselineWrites = baselineWrites.then(() => store.saveBaselines(rows));
    return baselineWrites;
  };
  const baselineTimer =
    baselinesInStore && model && options.freezeBaseline !== true && options.learnOnly !== true
      ? setInterval(() => {
          saveBaselines().catch((e: unknown) => {
            io.stderr.write(
              `palisade: ${options.db ?? ''}: writing detection baselines: ${e instanceof Error ? e.message : String(e)}; retried at the next interval\n`,
            );
            baselineWrites = Promise.resolve();
          });
        }, baselineEveryMs)
      : undefined;
  baselineTimer?.unref();

  const detector = createDetector({
    ...(model && options.learnOnly !== true
      ? { anomaly: model, learnOnline: options.freezeBaseline !== true }
      : {}),
    rules,
    intel,
    dedupSeconds: dedup,
    settings: {
      ...EMPTY_SETTINGS,
      approvedRegistries: options.approvedRegistries,
      trustedSubjects: options.trustedSubjects,
      trustedNetworks: options.trustedNetworks,
    },
  });

  const host = os.hostname();
  const streams = new Map<string, WriteStream>();
  let pendingWrites = 0;
  const flushWaiters: (() => void)[] = [];
  /** Resolves when every alert written to a file so far has reached the operating system. */
  const flushFiles = (): Promise<void> =>
    pendingWrites === 0 ? Promise.resolve() : new Promise<void>((resolve) => flushWaiters.push(resolve));
  const writers = outputs.map((o) => {
    if (o.file === undefined)
      return (text: string): void => {
        io.stdout.write(text);
      };
    const file = path.resolve(io.cwd, o.file);
    let ws = streams.get(file);
    if (!ws) {
      ws = createWriteStream(file, { flags: 'w' });
      streams.set(file, ws);
    }
    const w = ws;
    return (text: string): void => {
      pendingWrites++;
      w.write(text, () => {
        pendingWrites--;
        if (pendingWrites === 0) for (const f of flushWaiters.splice(0)) f();
      });
    };
  });
  const { openSink } = await import('../../detect/transport.js');
  const sinks = (options.sinks ?? []).map((spec) => {
    try {
      return openSink(spec, {
        host,
        warn: (m) => {
          io.stderr.write(`palisade: ${m}\n`);
        },
      });
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  });
  // --db: alerts also go to the history store, in batches; flush() waits for them.
  let stored: AlertInput[] = [];
  let storing: Promise<void> = Promise.resolve();
  const storeNow = (): Promise<void> => {
    if (!store || stored.length === 0) return storing;
    const batch = stored;
    stored = [];
    storing = storing.then(() => store.recordAlerts(batch));
    return storing;
  };
  let worst: Severity | undefined;
  const severityOrder = ['info', 'low', 'medium', 'high', 'critical'];
  const emit = (alerts: Alert[]): void => {
    for (const a of alerts) {
      if (store) {
        const t = Date.parse(a.time);
        stored.push({
          time: Number.isFinite(t) ? t : Date.now(),
          rule: a.rule,
          severity: a.severity,
          ...(a.mitre.length > 0 ? { mitre: a.mitre.join(',') } : {}),
          message: a.message,
          subject: a.subject,
          target: a.target,
          evidence: a.evidence,
        });
        if (stored.length >= 500) void storeNow();
      }
      if (worst === undefined || severityOrder.indexOf(a.severity) > severityOrder.indexOf(worst))
        worst = a.severity;
      outputs.forEach((o, i) => writers[i]?.(`${renderAlert(o.format, a, host)}\n`));
      for (const sink of sinks) sink.send(a);
    }
  };

  const close = async (): Promise<void> => {
    await Promise.all(sinks.map((sink) => sink.close()));
    await storeNow();
    clearInterval(baselineTimer);
    await saveBaselines();
    await store?.close();
    if (model && baselineFile !== undefined && options.freezeBaseline !== true) {
      const tmpFile = `${baselineFile}.tmp-${process.pid}`;
      await writeFile(tmpFile, `${JSON.stringify(model.toFile())}\n`);
      await rename(tmpFile, baselineFile);
    }
    for (const ws of streams.values())
      await new Promise<void>((resolve, reject) => {
        ws.end((e?: Error | null) => {
          if (e) reject(e);
          else resolve();
        });
      });
  };
  const flush = async (): Promise<void> => {
    await flushFiles();
    await storeNow();
  };
  const write = (render: (format: DetectFormat) => string | undefined): void => {
    outputs.forEach((o, i) => {
      const text = render(o.format);
      if (text !== undefined) writers[i]?.(text);
    });
  };
  return { model, rules, intel, detector, emit, flush, worst: () => worst, close, write };
}

/** `palisade detect run`. */
export async function runDetect(files: string[], options: DetectRunOptions, io: CliIO): Promise<number> {
  const wantsFlows = (options.policies?.length ?? 0) > 0 || options.cluster === true;
  if (options.from !== undefined) {
    if (files.length > 0) throw new UsageError('--from reads the event stream; give no files with it');
    if (wantsFlows)
      throw new UsageError('--policies and --cluster judge flows read from files; drop them with --from');
    return runDetectFromStream(options.from, options, io);
  }
  if (files.length === 0)
    throw new UsageError('no input: name event files, - for standard input, or --from nats://HOST:PORT');
  if (options.follow && files.includes('-'))
    throw new UsageError('--follow reads files; standard input is followed anyway until it closes');
  const reportEveryMs = shortDuration('--report-every', options.reportEvery) ?? 600_000;
  if (reportEveryMs < 1000) throw new UsageError('--report-every must be at least 1s');
  const d = await setupDetection(options, io);
  if (!d) return 2;
  const { rules, intel, detector, emit } = d;

  // Flows against the NetworkPolicy model: judged beside the detector, reported at the end.
  let flows: import('./detect-flows.js').FlowJudging | undefined;
  if (wantsFlows && options.learnOnly !== true) {
    const { setupFlowJudging } = await import('./detect-flows.js');
    flows = await setupFlowJudging(
      {
        policies: options.policies ?? [],
        ...(options.cluster === true ? { cluster: true } : {}),
        ...(options.context !== undefined ? { context: options.context } : {}),
        ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
        quiet: options.quiet,
      },
      Number(options.dedup),
      io,
    ).catch(async (e: unknown) => {
      await d.close();
      throw e;
    });
    if (!flows) {
      await d.close();
      return 2;
    }
  }
  /** Built-in "dropped" alerts replaced by the flow judgement's (not counted twice). */
  let superseded = 0;
  const writeLeastPrivilege = async (): Promise<void> => {
    if (!flows) return;
    const { renderLeastPrivilege } = await import('./detect-flows.js');
    const report = flows.monitor.report();
    d.write((format) => renderLeastPrivilege(format, report));
  };

  let records = 0;
  let skipped = 0;
  let inputErrors = 0;
  const inputError = (where: string, message: string): void => {
    inputErrors++;
    if (inputErrors <= MAX_ERRORS_SHOWN) io.stderr.write(`palisade: ${where}: ${message}\n`);
  };
  const judge = (record: unknown, where: string): void => {
    const items =
      typeof record === 'object' && record !== null && (record as { kind?: unknown }).kind === 'EventList'
        ? (record as { items?: unknown }).items
        : undefined;
    if (items !== undefined) {
      if (!Array.isArray(items)) {
        inputError(where, 'EventList items is not a list');
        return;
      }
      items.forEach((it, i) => {
        judge(it, `${where} items[${i}]`);
      });
      return;
    }
    records++;
    const n = normalizeRecord(record, where);
    if (!n.ok) {
      inputError(where, n.error);
      return;
    }
    if (n.value === undefined) {
      skipped++;
      return;
    }
    if (options.learnOnly === true) d.model?.learn(n.value);
    else {
      const alerts = detector.process(n.value);
      if (flows && n.value.source === 'flow') {
        // A flow the policies deny: its alert, with the policy decision, replaces the plain "dropped" one.
        const j = flows.judge(record, n.value, where);
        const kept =
          j?.decision === 'denied' ? alerts.filter((a) => a.rule !== SUPERSEDED_FLOW_RULE) : alerts;
        superseded += alerts.length - kept.length;
        emit(kept);
        if (j?.alert) emit([j.alert]);
      } else emit(alerts);
    }
  };

  const readText = async (
    name: string,
    source: AsyncIterable<Buffer | string> | Iterable<Buffer>,
    startLine: number,
  ): Promise<number> => {
    let lineNo = startLine;
    let first = true;
    for await (const { line, tooLong } of boundedLines(source, MAX_LINE_BYTES)) {
      lineNo++;
      if (tooLong) {
        inputError(`${name}:${lineNo}`, `line longer than ${MAX_LINE_BYTES / 1048576} MiB`);
        continue;
      }
      const t = line.trim();
      if (t === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(t);
      } catch {
        if (first && (t === '[' || t === '{' || t.startsWith('{') || t.startsWith('['))) return -1;
        inputError(`${name}:${lineNo}`, 'not a JSON object');
        first = false;
        continue;
      }
      first = false;
      if (Array.isArray(record))
        record.forEach((r, i) => {
          judge(r, `${name}:${lineNo}[${i}]`);
        });
      else judge(record, `${name}:${lineNo}`);
    }
    return lineNo;
  };

  const readDocument = (name: string, text: string): void => {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      inputError(
        name,
        `neither JSON lines nor one JSON document: ${e instanceof Error ? e.message : String(e)}`,
      );
      return;
    }
    if (Array.isArray(doc))
      doc.forEach((r, i) => {
        judge(r, `${name}[${i}]`);
      });
    else judge(doc, name);
  };

  const stopped = (): boolean => options.signal?.aborted === true;
  // Following runs until a stop signal, heard from the first read on; closing afterwards stays
  // under the stop bound.
  const stop = options.follow ? listenForStop({ signal: options.signal, stderr: io.stderr }) : undefined;
  for (const f of files) {
    if (f === '-') {
      const buf = await io.readStdin();
      if ((await readText('stdin', [buf], 0)) < 0) readDocument('stdin', buf.toString('utf8'));
      continue;
    }
    const file = path.resolve(io.cwd, f);
    const s = await stat(file).catch(() => undefined);
    if (!s?.isFile()) {
      inputError(f, s ? 'not a regular file' : 'no such file');
      continue;
    }
    const lines = await readText(f, createReadStream(file), 0);
    if (lines < 0) {
      if (s.size > MAX_DOCUMENT_BYTES)
        inputError(
          f,
          `a single JSON document larger than ${MAX_DOCUMENT_BYTES / 1048576} MiB; write one record per line`,
        );
      else readDocument(f, await readFile(file, 'utf8'));
    }
  }

  if (stop) {
    const timer = flows
      ? setInterval(() => {
          if (flows.monitor.stats.flows > 0) void writeLeastPrivilege();
        }, reportEveryMs)
      : undefined;
    try {
      await follow(
        files.map((f) => path.resolve(io.cwd, f)),
        files,
        readText,
        stopped,
        stop.signal,
      );
    } finally {
      clearInterval(timer);
    }
  }

  const flowsJudged = flows?.monitor.stats.flows ?? 0;
  try {
    if (flows && flowsJudged > 0) await writeLeastPrivilege();
    await d.close();
  } finally {
    stop?.dispose();
  }

  const st = detector.stats;
  const alertCount = st.alerts - superseded + (flows?.monitor.stats.alerts ?? 0);
  const folded = st.deduplicated + (flows?.monitor.stats.deduplicated ?? 0);
  if (options.learnOnly === true) {
    if (!options.quiet)
      io.stderr.write(
        `detect: learned ${records - skipped} events; baseline of ${d.model?.identities.size ?? 0} identities written to ${options.baseline ?? 'the history store'}\n`,
      );
    return records === 0 && inputErrors === 0 ? 2 : inputErrors > 0 ? 2 : 0;
  }
  if (!options.quiet) {
    const ruleErrors = Object.entries(st.ruleErrors);
    io.stderr.write(
      `detect: ${st.events} events judged by ${rules.length} rules${intel.size > 0 ? ` and ${intel.size} indicators` : ''}` +
        `${skipped > 0 ? ` (${skipped} records not about Kubernetes)` : ''}; ${alertCount} alerts` +
        (folded > 0 ? ` (${folded} repeats folded)` : '') +
        `${inputErrors > 0 ? `; ${inputErrors} input errors${inputErrors > MAX_ERRORS_SHOWN ? ` (first ${MAX_ERRORS_SHOWN} shown)` : ''}` : ''}\n`,
    );
    for (const [id, n] of ruleErrors)
      io.stderr.write(`detect: rule ${id} could not judge ${n} events (its condition failed to evaluate)\n`);
    if (flows) {
      const f = flows.monitor.stats;
      io.stderr.write(
        `detect: ${f.flows} flows judged against the NetworkPolicies: ${f.allowed} allowed, ${f.denied} denied` +
          ` (${f.alerts} alerts), ${f.unknown} with an end not in the inventory, ${f.skipped} outside the cluster or within one workload` +
          (f.rebuilds > 0 ? `; ${f.rebuilds} peers only the flows show added to the model` : '') +
          (flows.unread() > 0 ? `; ${flows.unread()} flow records unreadable` : '') +
          '\n',
      );
    }
  }
  if (records === 0 && inputErrors === 0) {
    io.stderr.write('palisade: no events in the input (empty files?)\n');
    return 2;
  }
  if (inputErrors > 0) return 2;
  if (flows && flowsJudged === 0) {
    io.stderr.write(
      'palisade: --policies/--cluster: no flow in the input was judged; give Hubble or Calico flow exports\n',
    );
    return 2;
  }
  const worst = d.worst();
  return worst !== undefined && atLeast(worst, options.failOn as Severity | 'none') ? 1 : 0;
}

/** Milliseconds of a `500ms`, `5s` or `2m` option value; a malformed one is a usage error. */
function shortDuration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,9})(ms|s|m)$/.exec(value);
  if (!m) throw new UsageError(`${flag} must be a duration such as 500ms, 5s or 2m (got "${value}")`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

/**
 * `palisade detect run --from nats://…`: one replica of a consumer group over the normalised
 * stream. Each pulled batch is judged, its alerts written (and flushed to files), then
 * acknowledged; a replica that dies leaves its unacknowledged batch to the others.
 */
async function runDetectFromStream(from: string, options: DetectRunOptions, io: CliIO): Promise<number> {
  const { parseStreamUrl, consumeEvents } = await import('../../detect/stream.js');
  const addr = parseStreamUrl(from);
  if (typeof addr === 'string') throw new UsageError(`--from: ${addr}`);
  if (options.follow) throw new UsageError('--from follows the stream already; drop --follow');
  const idleExitMs = shortDuration('--idle-exit', options.idleExit);
  const ackWaitMs = shortDuration('--ack-wait', options.ackWait);
  if (ackWaitMs !== undefined && ackWaitMs < 1000) throw new UsageError('--ack-wait must be at least 1s');
  const d = await setupDetection(options, io);
  if (!d) return 2;
  const stop = listenForStop({ signal: options.signal, stderr: io.stderr });
  let result: { events: number; redelivered: number };
  try {
    result = await consumeEvents(
      addr,
      async (events) => {
        for (const e of events) d.emit(d.detector.process(e));
        await d.flush();
      },
      {
        signal: stop.signal,
        ...(options.consumer !== undefined ? { durable: options.consumer } : {}),
        ...(idleExitMs !== undefined ? { idleExitMs } : {}),
        ...(ackWaitMs !== undefined ? { ackWaitMs } : {}),
        onBadMessage: (seq, message) => {
          io.stderr.write(`palisade: ${addr.stream} message ${seq}: ${message}\n`);
        },
      },
    );
  } catch (e) {
    throw new InputError(`--from ${addr.servers}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    try {
      await d.close();
    } finally {
      stop.dispose();
    }
  }
  if (!options.quiet)
    io.stderr.write(
      `detect: ${result.events} events judged from ${addr.stream}` +
        `${result.redelivered > 0 ? ` (${result.redelivered} delivered again after another replica stopped)` : ''}; ${d.detector.stats.alerts} alerts\n`,
    );
  const worst = d.worst();
  return worst !== undefined && atLeast(worst, options.failOn as Severity | 'none') ? 1 : 0;
}

/** Reads what is appended to each file (reopening after rotation) until stopped. */
async function follow(
  files: readonly string[],
  names: readonly string[],
  readText: (
    name: string,
    source: AsyncIterable<Buffer | string> | Iterable<Buffer>,
    startLine: number,
  ) => Promise<number>,
  stopped: () => boolean,
  signal: AbortSignal,
): Promise<void> {
  const state = await Promise.all(
    files.map(async (f) => {
      const s = await stat(f).catch(() => undefined);
      return { offset: s?.size ?? 0, ino: s?.ino ?? 0, line: 0 };
    }),
  );
  while (!stopped() && !signal.aborted) {
    for (let i = 0; i < files.length; i++) {
      const f = files[i] as string;
      const st = state[i];
      if (!st) continue;
      const s = await stat(f).catch(() => undefined);
      if (!s) continue;
      if (s.ino !== st.ino || s.size < st.offset) {
        st.offset = 0;
        st.ino = s.ino;
      }
      if (s.size > st.offset) {
        const end = s.size - 1;
        const n = await readText(names[i] ?? f, createReadStream(f, { start: st.offset, end }), st.line);
        st.line = Math.max(st.line, n);
        st.offset = s.size;
      }
    }
    await pauseUnlessStopped(250, signal);
  }
}

/** The formats of `detect test`: the PASS/FAIL lines, or the results as JSON or YAML. */
const RULE_TEST_FORMATS: OutputFormats<'table' | 'json' | 'yaml'> = {
  formats: ['table', 'json', 'yaml'],
  default: 'table',
  aliases: { text: 'table' },
};

/** `palisade detect test`. */
export async function runDetectTest(
  paths: string[],
  options: { builtin: boolean; verbose: boolean; output?: string[]; outputFile?: string },
  io: CliIO,
): Promise<number> {
  const outputs = parseOutputs(options.output ?? [], options.outputFile, RULE_TEST_FORMATS);
  const { rules, errors } = await loadRules(paths, options.builtin, io.cwd);
  if (errors.length > 0) {
    for (const e of errors) io.stderr.write(`palisade: ${e.source}: rule ${e.rule}: ${e.message}\n`);
    return 2;
  }
  if (rules.length === 0) throw new UsageError('no rules to test');
  const results = runRuleTests(rules, EMPTY_SETTINGS);
  const failed = results.filter((r) => !r.pass).length;
  const untested = rules.filter((r) => r.spec.tests.length === 0).length;
  const report = {
    apiVersion: 'palisade.dev/v1',
    kind: 'RuleTestReport',
    summary: { passed: results.length - failed, failed, rulesWithoutTests: untested },
    results,
  };
  await writeOutputs(outputs, io, (format) => {
    if (format !== 'table') return renderData(format, report);
    const lines = results
      .filter((r) => !r.pass || options.verbose)
      .map(
        (r) =>
          `${r.pass ? 'PASS' : 'FAIL'} ${r.rule}: ${r.test}${r.pass ? '' : ` (expected ${r.expected}, got ${String(r.actual)})`}\n`,
      );
    return `${lines.join('')}${results.length - failed} passed, ${failed} failed${untested > 0 ? ` (${untested} rules have no tests)` : ''}\n`;
  });
  return failed > 0 ? 1 : 0;
}

/** Options of `detect serve`. */
export interface DetectServeOptions extends DetectCommonOptions {
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  queue: string;
  /** Publish the normalised events to NATS JetStream (nats://HOST:PORT[/STREAM]) instead of judging them here. */
  publish?: string;
  /** Resolves the server's URL once it listens (tests). */
  onListening?: (url: string) => void;
  /** Stops the server (tests; the CLI stops on SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(listen) ?? /^([^:]+):(\d+)$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m?.[1] || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--listen ${listen}: expected HOST:PORT (e.g. 127.0.0.1:8444 or [::1]:8444)`);
  return { host: m[1], port };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || (ipaddr.isValid(host) && ipaddr.parse(host).range() === 'loopback');
}

/** `palisade detect serve`: the API server's audit webhook backend. */
export async function runDetectServe(options: DetectServeOptions, io: CliIO): Promise<number> {
  const { host, port } = parseListen(options.listen);
  const queue = Number(options.queue);
  if (!Number.isInteger(queue) || queue < 1)
    throw new UsageError(`--queue must be a positive whole number, not "${options.queue}"`);
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  if (options.tlsCert === undefined && !isLoopback(host))
    throw new UsageError(
      `refusing plain HTTP on ${host}: audit events carry request bodies; give --tls-cert and --tls-key, or listen on 127.0.0.1`,
    );
  let publishTo: import('../../detect/stream.js').StreamAddress | undefined;
  let publisher: import('../../detect/stream.js').EventPublisher | undefined;
  if (options.publish !== undefined) {
    const { parseStreamUrl } = await import('../../detect/stream.js');
    const addr = parseStreamUrl(options.publish);
    if (typeof addr === 'string') throw new UsageError(`--publish: ${addr}`);
    publishTo = addr;
  }
  const d = await setupDetection(options, io);
  if (!d) return 2;
  if (publishTo !== undefined) {
    const { openEventPublisher } = await import('../../detect/stream.js');
    try {
      publisher = await openEventPublisher(publishTo);
    } catch (e) {
      throw new InputError(`--publish: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const { startAuditWebhook } = await import('../../detect/serve.js');
  let inputErrors = 0;
  const pub = publisher;
  const server = await startAuditWebhook({
    ...(pub !== undefined
      ? {
          publish: async (events: DetectEvent[]) => {
            await pub.publish(events);
          },
          onPublishError: (m: string) => {
            io.stderr.write(`palisade: publishing to ${publishTo?.servers ?? ''}: ${m}\n`);
          },
        }
      : { detector: d.detector }),
    onAlert: (a) => {
      d.emit([a]);
    },
    onInputError: (where, message) => {
      inputErrors++;
      if (inputErrors <= MAX_ERRORS_SHOWN) io.stderr.write(`palisade: ${where}: ${message}\n`);
    },
    host,
    port,
    queueCapacity: queue,
    ...(options.tlsCert !== undefined && options.tlsKey !== undefined
      ? {
          tls: {
            certFile: path.resolve(io.cwd, options.tlsCert),
            keyFile: path.resolve(io.cwd, options.tlsKey),
          },
        }
      : {}),
  });
  const stop = listenForStop({ signal: options.signal, stderr: io.stderr });
  if (!options.quiet)
    io.stderr.write(
      publishTo !== undefined
        ? `detect: audit webhook backend on ${server.url}, publishing to ${publishTo.servers} stream ${publishTo.stream} (queue ${queue} events)\n`
        : `detect: audit webhook backend on ${server.url} (${d.rules.length} rules, queue ${queue} events)\n`,
    );
  options.onListening?.(server.url);
  try {
    await stop.requested;
    await server.close();
    await server.drained();
    await publisher?.close();
    await d.close();
  } finally {
    stop.dispose();
  }
  const st = d.detector.stats;
  if (!options.quiet)
    io.stderr.write(`detect: ${st.events} events judged; ${st.alerts} alerts; ${inputErrors} input errors\n`);
  return 0;
}
