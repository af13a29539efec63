/**
 * Detection rules: data (id, severity, MITRE technique, message) plus a prefilter on the
 * event's source, verb and resource, and an optional CEL condition over the normalised event.
 * Compiled once; the detector evaluates only the rules whose prefilter an event passes.
 */
import { z } from 'zod';
import type { Result } from '../core/index.js';
import { createCelEngine, type CelEngine, type CelProgram } from '../policy/index.js';
import type { EventSource } from './event.js';
import { guardsOf, type Guard } from './guards.js';

/** Alert severities, lowest first. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** CEL variables a rule condition and message may use (fields of the normalised event). */
export const RULE_VARIABLES = [
  'event',
  'actor',
  'action',
  'target',
  'object',
  'pod',
  'containers',
  'network',
  'process',
  'intel',
  'settings',
] as const;

const ruleTestSchema = z.object({
  name: z.string().min(1),
  /** A raw input record (audit Event, GKE/AKS entry, flow, runtime event). */
  event: z.record(z.string(), z.unknown()),
  expect: z.boolean(),
  /** Threat-feed indicators loaded for this test only (`ip`, `domain`, … : value). */
  intel: z.array(z.object({ type: z.string(), value: z.string() })).optional(),
});

/** The YAML/JSON form of a rule. */
export const ruleSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  title: z.string().min(1),
  severity: z.enum(SEVERITIES),
  /** MITRE ATT&CK (for Containers) technique ids, e.g. T1609. */
  mitre: z.array(z.string().regex(/^T\d{4}(\.\d{3})?$/)).default([]),
  description: z.string().default(''),
  match: z
    .object({
      sources: z.array(z.enum(['audit', 'flow', 'runtime'])).default(['audit']),
      verbs: z.array(z.string()).optional(),
      /** `resource` or `resource/subresource` (`pods/exec`); `*` for any. */
      resources: z.array(z.string()).optional(),
      /** Only events of these actor kinds (human, serviceaccount, node, system, anonymous, workload). */
      actorKinds: z
        .array(z.enum(['human', 'serviceaccount', 'node', 'system', 'anonymous', 'workload', 'unknown']))
        .optional(),
      /** Only events with these response codes. */
      codes: z.array(z.number().int()).optional(),
      /** Only events that hit a threat feed. */
      intel: z.boolean().optional(),
      /** Only events that carry a command line (exec through the API, runtime events). */
      process: z.boolean().optional(),
    })
    .default({ sources: ['audit'] }),
  condition: z.string().optional(),
  /** Message template: `{{actor.user}}`-style references to event fields. */
  message: z.string().min(1),
  /** Fire only when `count` matching events share the `by` fields within `window` seconds. */
  threshold: z
    .object({
      count: z.number().int().min(2),
      windowSeconds: z.number().int().min(1),
      by: z.array(z.string()).default(['actor.user']),
    })
    .optional(),
  tests: z.array(ruleTestSchema).default([]),
});

/** A rule as written. */
export type RuleSpec = z.infer<typeof ruleSchema>;
/** One of a rule's own test cases. */
export type RuleTest = z.infer<typeof ruleTestSchema>;

/** A rule ready to run. */
export interface CompiledRule {
  spec: RuleSpec;
  sources: ReadonlySet<EventSource>;
  /** undefined: any verb. */
  verbs: ReadonlySet<string> | undefined;
  /** `resource` and `resource/subresource` keys; undefined: any. */
  resources: ReadonlySet<string> | undefined;
  actorKinds: ReadonlySet<string> | undefined;
  codes: ReadonlySet<number> | undefined;
  needsIntel: boolean;
  needsProcess: boolean;
  condition: CelProgram | undefined;
  /** Tests derived from the condition's top-level conjuncts: one false, the condition is false. */
  guards: readonly Guard[];
  /** The message template split into literal text and field paths. */
  message: readonly (string | { path: readonly string[] })[];
}

/** A problem with a rule, located by its source and index. */
export interface RuleError {
  source: string;
  rule: string;
  message: string;
}

let sharedEngine: CelEngine | undefined;

/** The CEL engine of detection rules (the admission engine with the event's variables). */
export function ruleEngine(): CelEngine {
  sharedEngine ??= createCelEngine({ variables: RULE_VARIABLES });
  return sharedEngine;
}

/** Splits `a {{x.y}} b` into literal and path parts; unterminated braces stay literal. */
export function parseTemplate(template: string): (string | { path: string[] })[] {
  const parts: (string | { path: string[] })[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open < 0) break;
    const close = template.indexOf('}}', open + 2);
    if (close < 0) break;
    if (open > i) parts.push(template.slice(i, open));
    parts.push({
      path: template
        .slice(open + 2, close)
        .trim()
        .split('.'),
    });
    i = close + 2;
  }
  if (i < template.length) parts.push(template.slice(i));
  return parts;
}

/** Validates and compiles one rule. */
export function compileRule(raw: unknown, source: string, index: number): Result<CompiledRule, RuleError> {
  const parsed = ruleSchema.safeParse(raw);
  const label =
    typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string'
      ? (raw as { id: string }).id
      : `rules[${index}]`;
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: {
        source,
        rule: label,
        message: `${issue?.path.join('.') || '(rule)'}: ${issue?.message ?? 'invalid'}`,
      },
    };
  }
  const spec = parsed.data;
  let condition: CelProgram | undefined;
  if (spec.condition !== undefined) {
    const c = ruleEngine().compile(spec.condition);
    if (!c.ok) return { ok: false, error: { source, rule: spec.id, message: `condition: ${c.error}` } };
    condition = c.value;
  }
  for (const part of parseTemplate(spec.message)) {
    if (typeof part !== 'string' && !(RULE_VARIABLES as readonly string[]).includes(part.path[0] ?? ''))
      return {
        ok: false,
        error: { source, rule: spec.id, message: `message: unknown field {{${part.path.join('.')}}}` },
      };
  }
  return {
    ok: true,
    value: {
      spec,
      sources: new Set(spec.match.sources),
      verbs: spec.match.verbs && !spec.match.verbs.includes('*') ? new Set(spec.match.verbs) : undefined,
      resources:
        spec.match.resources && !spec.match.resources.includes('*')
          ? new Set(spec.match.resources)
          : undefined,
      actorKinds: spec.match.actorKinds ? new Set(spec.match.actorKinds) : undefined,
      codes: spec.match.codes ? new Set(spec.match.codes) : undefined,
      needsIntel: spec.match.intel === true,
      needsProcess: spec.match.process === true,
      condition,
      guards: guardsOf(spec.condition),
      message: parseTemplate(spec.message),
    },
  };
}

/** Compiles a list of rules, collecting every error; duplicate ids are errors. */
export function compileRules(raws: readonly { source: string; rule: unknown }[]): {
  rules: CompiledRule[];
  errors: RuleError[];
} {
  const rules: CompiledRule[] = [];
  const errors: RuleError[] = [];
  const seen = new Set<string>();
  raws.forEach(({ source, rule }, i) => {
    const c = compileRule(rule, source, i);
    if (!c.ok) {
      errors.push(c.error);
      return;
    }
    if (seen.has(c.value.spec.id)) {
      errors.push({ source, rule: c.value.spec.id, message: 'duplicate rule id' });
      return;
    }
    seen.add(c.value.spec.id);
    rules.push(c.value);
  });
  return { rules, errors };
}
