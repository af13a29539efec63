/**
 * Reading rule files (YAML or JSON: a list of rules, one rule per document, or `{rules: […]}`)
 * and the built-in set. Pure: text in, compiled rules and located errors out.
 */
import yaml from 'js-yaml';
import { BUILTIN_RULES } from './builtin-rules.js';
import { compileRules, type CompiledRule, type RuleError } from './rule.js';

/** Raw rules of one file's text, with the file name as their source. */
export function readRuleText(
  source: string,
  text: string,
): { rules: { source: string; rule: unknown }[]; errors: RuleError[] } {
  const rules: { source: string; rule: unknown }[] = [];
  const errors: RuleError[] = [];
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA });
  } catch (e) {
    const m = e as { mark?: { line?: number }; reason?: string; message?: string };
    const line = m.mark?.line !== undefined ? `:${m.mark.line + 1}` : '';
    errors.push({
      source: `${source}${line}`,
      rule: '(file)',
      message: `invalid YAML: ${m.reason ?? m.message ?? 'unreadable'}`,
    });
    return { rules, errors };
  }
  for (const doc of docs) {
    if (doc === null || doc === undefined) continue;
    const list = Array.isArray(doc)
      ? doc
      : typeof doc === 'object' && Array.isArray((doc as { rules?: unknown }).rules)
        ? (doc as { rules: unknown[] }).rules
        : [doc];
    for (const rule of list) rules.push({ source, rule });
  }
  return { rules, errors };
}

/** The built-in rules, compiled once. */
let builtin: CompiledRule[] | undefined;
export function builtinRules(): CompiledRule[] {
  if (!builtin) {
    const { rules, errors } = compileRules(BUILTIN_RULES.map((rule) => ({ source: 'builtin', rule })));
    if (errors.length > 0) throw new Error(`built-in rule ${errors[0]?.rule}: ${errors[0]?.message}`);
    builtin = rules;
  }
  return builtin;
}
