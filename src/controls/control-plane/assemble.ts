/**
 * Turns node facts into check results: builds each check's audit data from the facts, runs
 * the pure evaluator, and attaches the evidence (flag values with their manifest position,
 * file modes and owners) and the place to fix.
 */
import type { SourceLocation } from '../../core/index.js';
import { evaluateTests, statusOf, statusWithoutAudit, type AuditData, type ItemResult } from './evaluate.js';
import {
  COMPONENT_BINARIES,
  FILE_SET_DESCRIPTIONS,
  type ComponentFacts,
  type FileFacts,
  type NodeFacts,
} from './facts.js';
import { argvFlags, brokenConfig, documentConfig, envVars, textFlags } from './lookup.js';
import type { Benchmark, CheckStatus, CisCheck, ComponentName, StatLine } from './types.js';

/** One piece of evidence behind a result. */
export interface Evidence {
  /** `flag`, `config`, `env` for component settings; `file` for a file's stat; `encryption`. */
  source: 'flag' | 'config' | 'env' | 'file' | 'encryption';
  /** Flag, JSONPath, variable or file path. */
  name: string;
  found: boolean;
  /** The value read (flag value, octal mode, `user:group`). */
  value: string;
  /** Other names looked up first without success (the flag before its config path or variable). */
  alsoTried?: string[];
  /** Whether this piece passed its test (absent for context, e.g. other files of a set). */
  pass?: boolean;
  component?: ComponentName;
  location?: SourceLocation;
  mode?: string;
  owner?: string;
}

/** The result of one benchmark check. */
export interface CheckResult {
  id: string;
  benchmark: string;
  section: CisCheck['section'];
  group: CisCheck['group'];
  text: string;
  scored: boolean;
  status: CheckStatus;
  /** Why the check was skipped, warned or errored, when not from its tests. */
  reason?: string;
  /** kube-bench's sentence for what was expected. */
  expected?: string;
  evidence: Evidence[];
  remediation: string;
  /** Where to fix it: the flag's line in the manifest, the manifest, or the file. */
  location?: SourceLocation;
}

/** Counts of results by status. */
export type StatusCounts = Record<CheckStatus, number>;

/** Every check result of a node, in benchmark order. */
export interface BenchmarkResult {
  benchmark: string;
  title: string;
  results: CheckResult[];
  summary: StatusCounts;
}

/** Options of the evaluation. */
export interface EvaluateBenchmarkOptions {
  /** Only these sections (default: all sections of the benchmark). */
  sections?: readonly CisCheck['section'][];
}

function fileLocation(path: string): SourceLocation {
  return { file: path, line: 1, column: 1 };
}

function statLine(f: FileFacts, kind: StatLine): string {
  const mode = f.mode.toString(8);
  const owner = `${f.user}:${f.group}`;
  switch (kind) {
    case 'permissions':
      return `permissions=${mode}`;
    case 'owner':
      return owner;
    case 'permissions-named':
      return `permissions=${mode} ${f.path}`;
    case 'ownership-named':
      return `ownership=${owner} ${f.path}`;
  }
}

function base(check: CisCheck, benchmark: string): Omit<CheckResult, 'status' | 'evidence'> {
  return {
    id: check.id,
    benchmark,
    section: check.section,
    group: check.group,
    text: check.text,
    scored: check.scored,
    remediation: check.remediation,
  };
}

function componentData(c: ComponentFacts, withConfig: boolean): { data: AuditData; hasConfig: boolean } {
  const config = withConfig ? c.config : undefined;
  const data: AuditData = {
    command: [argvFlags(c.args)],
    env: envVars(c.env ?? []),
    ...(config
      ? {
          config:
            config.error !== undefined || config.value === undefined
              ? brokenConfig(`${config.path}: ${config.error ?? 'no content'}`)
              : documentConfig(config.value),
        }
      : {}),
  };
  return { data, hasConfig: config !== undefined };
}

/** The dotted key a JSONPath of plain fields reads (`{.a.b}` → `a.b`; `{range .x[:]}…` → `x`). */
function dottedKey(path: string): string | undefined {
  const m = /^\{(?:range )?((?:\.[A-Za-z0-9_-]+)+)/.exec(path);
  return m?.[1]?.slice(1);
}

function configLocation(config: NonNullable<ComponentFacts['config']>, path: string): SourceLocation {
  const key = dottedKey(path);
  const at = key !== undefined ? config.keys?.[key] : undefined;
  return at ? { file: config.path, ...at } : fileLocation(config.path);
}

function itemEvidence(item: ItemResult, component: ComponentName, c: ComponentFacts): Evidence {
  const loc =
    item.source === 'flag'
      ? item.argIndex !== undefined
        ? c.argLocations?.[item.argIndex]
        : undefined
      : item.source === 'config' && c.config
        ? configLocation(c.config, item.name)
        : undefined;
  return {
    source: item.source,
    name: item.name,
    found: item.found,
    value: item.value,
    pass: item.pass,
    component,
    ...(item.alsoTried ? { alsoTried: item.alsoTried.map((t) => t.name) } : {}),
    ...(loc ? { location: loc } : {}),
  };
}

function fixLocation(evidence: readonly Evidence[], c: ComponentFacts): SourceLocation | undefined {
  const failed = evidence.find((e) => e.pass === false && e.location);
  if (failed?.location) return failed.location;
  const found = evidence.find((e) => e.location);
  return found?.location ?? c.location ?? fileLocation(c.source);
}

function evaluateOne(check: CisCheck, facts: NodeFacts, benchmark: string): CheckResult {
  const head = base(check, benchmark);
  const early = statusWithoutAudit(check);
  if (early) return { ...head, status: early.status, reason: early.reason, evidence: [] };
  const tests = check.tests;
  const audit = check.audit;
  if (!tests || !audit) return { ...head, status: 'warn', reason: 'No audit defined', evidence: [] };

  if (audit.kind === 'flags') {
    const c = facts.components[audit.component];
    if (!c)
      return {
        ...head,
        status: 'skip',
        reason: `${COMPONENT_BINARIES[audit.component]} was not found on this node`,
        evidence: [],
      };
    if (c.error !== undefined)
      return {
        ...head,
        status: 'error',
        reason: c.error,
        evidence: [],
        location: c.location ?? fileLocation(c.source),
      };
    const { data, hasConfig } = componentData(c, audit.config === true);
    const outcome = evaluateTests(tests, data, hasConfig);
    const evidence = outcome.items.map((i) => itemEvidence(i, audit.component, c));
    const status = statusOf(check, outcome);
    const location = fixLocation(evidence, c);
    return {
      ...head,
      status,
      expected: outcome.expected,
      evidence,
      ...(outcome.errors.length > 0 ? { reason: outcome.errors.join('; ') } : {}),
      ...(location ? { location } : {}),
    };
  }

  if (audit.kind === 'encryption-providers') {
    const api = facts.components.apiserver;
    if (!api)
      return { ...head, status: 'skip', reason: 'kube-apiserver was not found on this node', evidence: [] };
    const enc = facts.encryption;
    if (enc?.error !== undefined)
      return {
        ...head,
        status: 'error',
        reason: `${enc.path}: ${enc.error}`,
        evidence: [],
        location: fileLocation(enc.path),
      };
    const line = enc?.providers ? `provider=${enc.providers.join(',')}` : '';
    const outcome = evaluateTests(tests, { command: [textFlags(line)] }, false);
    const item = outcome.items[0];
    const location = enc ? fileLocation(enc.path) : (api.location ?? fileLocation(api.source));
    return {
      ...head,
      status: statusOf(check, outcome),
      expected: outcome.expected,
      evidence: [
        {
          source: 'encryption',
          name: enc?.path ?? '--encryption-provider-config',
          found: enc?.providers !== undefined,
          value: enc?.providers?.join(',') ?? '',
          ...(item ? { pass: item.pass } : {}),
        },
      ],
      location,
    };
  }

  const files = facts.files[audit.files] ?? [];
  if (files.length === 0 && audit.whenMissing === undefined)
    return {
      ...head,
      status: 'skip',
      reason: `no ${FILE_SET_DESCRIPTIONS[audit.files]} was found on this node`,
      evidence: [],
    };
  const lines = files.length > 0 ? files.map((f) => statLine(f, audit.line)) : [audit.whenMissing ?? ''];
  const rows = check.multipleValues ? lines : [lines.join('\n')];
  const outcome = evaluateTests(tests, { command: rows.map(textFlags) }, false);
  // Each file is also judged on its own so the evidence names every offending file.
  const filePass = (i: number): boolean =>
    evaluateTests(tests, { command: [textFlags(lines[i] ?? '')] }, false).pass;
  const evidence: Evidence[] = files.map((f, i) => ({
    source: 'file',
    name: f.path,
    found: true,
    value:
      audit.line === 'permissions' || audit.line === 'permissions-named'
        ? f.mode.toString(8)
        : `${f.user}:${f.group}`,
    mode: f.mode.toString(8).padStart(3, '0'),
    owner: `${f.user}:${f.group}`,
    pass: filePass(i),
  }));
  if (files.length === 0)
    evidence.push({
      source: 'file',
      name: audit.files,
      found: false,
      value: audit.whenMissing ?? '',
      pass: outcome.pass,
    });
  const failing = outcome.pass ? files[0] : (files.find((_f, i) => evidence[i]?.pass === false) ?? files[0]);
  return {
    ...head,
    status: statusOf(check, outcome),
    expected: outcome.expected,
    evidence,
    ...(failing ? { location: fileLocation(failing.path) } : {}),
  };
}

/** Returns a zero count for every status. */
export function emptyStatusCounts(): StatusCounts {
  return { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
}

/** Evaluates a benchmark's checks on the facts of one node. */
export function evaluateBenchmark(
  benchmark: Benchmark,
  facts: NodeFacts,
  options: EvaluateBenchmarkOptions = {},
): BenchmarkResult {
  const sections = options.sections ? new Set(options.sections) : undefined;
  const results = benchmark.checks
    .filter((c) => !sections || sections.has(c.section))
    .map((c) => evaluateOne(c, facts, benchmark.id));
  const summary = emptyStatusCounts();
  for (const r of results) summary[r.status]++;
  return { benchmark: benchmark.id, title: benchmark.title, results, summary };
}
