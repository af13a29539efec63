import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { InputError, UsageError, type InputIssue } from '../../core/index.js';
import {
  allGrants,
  authorize,
  buildEscalationGraph,
  buildRbacModel,
  compileSodRules,
  DEFAULT_SOD_RULES,
  DEFAULT_TARGETS,
  diffRbac,
  effectiveRules,
  evaluateSod,
  findPaths,
  formatRule,
  formatSubject,
  identityOf,
  parseAuditLog,
  parseSubject,
  renderDiffText,
  renderPathsDot,
  renderPathsHtml,
  renderPathsText,
  resolveResource,
  subjectNodeId,
  suggestRoles,
  bindingLabel,
  roleLabel,
  type RbacModel,
  type RbacSubject,
  type RequestAttributes,
  type Via,
} from '../../rbac/index.js';
import { loadInventorySource } from './cluster-source.js';
import type { CliIO } from '../io.js';

type Opts = Record<string, unknown>;

const optString = (o: Opts, k: string): string | undefined => (typeof o[k] === 'string' ? o[k] : undefined);
const optList = (o: Opts, k: string): string[] => (Array.isArray(o[k]) ? (o[k] as string[]) : []);

interface Loaded {
  model: RbacModel;
  inputErrors: InputIssue[];
}

async function loadModel(paths: string[], opts: Opts, io: CliIO): Promise<Loaded> {
  const loaded = await loadInventorySource(paths, opts, io);
  const model = buildRbacModel(loaded.inventory);
  for (const e of loaded.inputErrors)
    io.stderr.write(`palisade: ${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}\n`);
  for (const i of model.issues) {
    const where = i.location ? `${i.location.file}:${i.location.line}:${i.location.column}: ` : '';
    io.stderr.write(`${where}${i.severity} ${i.code}: ${i.message}\n`);
  }
  return { model, inputErrors: loaded.inputErrors };
}

function finish(loaded: Loaded, opts: Opts, code: number): number {
  return loaded.inputErrors.length > 0 && opts.ignoreInputErrors !== true ? 2 : code;
}

/** Turns the VERB RESOURCE arguments and flags into request attributes. */
export function requestFromArgs(verb: string, resource: string, opts: Opts): RequestAttributes {
  if (resource.startsWith('/')) return { resourceRequest: false, verb, path: resource };
  const r = resolveResource(resource, optString(opts, 'apiGroup'));
  if (!r.ok) throw new UsageError(r.error);
  const namespace = r.value.namespaced === false ? '' : (optString(opts, 'namespace') ?? '');
  return {
    resourceRequest: true,
    verb,
    apiGroup: r.value.group,
    resource: r.value.resource,
    subresource: r.value.subresource,
    namespace,
    name: optString(opts, 'name') ?? '',
  };
}

function describeRequest(a: RequestAttributes): string {
  if (!a.resourceRequest) return `${a.verb} ${a.path}`;
  const res = `${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.apiGroup ? `.${a.apiGroup}` : ''}`;
  return `${a.verb} ${res}${a.name ? ` ${a.name}` : ''} ${a.namespace ? `in namespace ${a.namespace}` : 'cluster-wide'}`;
}

function subjectArg(text: string): RbacSubject {
  const s = parseSubject(text);
  if (!s.ok) throw new UsageError(s.error);
  return s.value;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** `palisade rbac who-can`. */
export async function runWhoCan(
  verb: string,
  resource: string,
  paths: string[],
  opts: Opts,
  io: CliIO,
): Promise<number> {
  const attrs = requestFromArgs(verb, resource, opts);
  const loaded = await loadModel(paths, opts, io);
  const { whoCan } = await import('../../rbac/index.js');
  const subjects = whoCan(loaded.model, attrs);
  if (opts.output === 'json') io.stdout.write(`${JSON.stringify({ subjects }, null, 2)}\n`);
  else {
    io.stdout.write(`Who can ${describeRequest(attrs)}:\n`);
    if (subjects.length === 0) io.stdout.write('  nobody through RBAC\n');
    else {
      const rows = [['KIND', 'NAMESPACE', 'NAME', 'VIA']];
      for (const s of subjects)
        s.via.forEach((v, i) =>
          rows.push(
            i === 0
              ? [s.kind, s.namespace ?? '', s.name, `${v.binding} → ${v.role}`]
              : ['', '', '', `${v.binding} → ${v.role}`],
          ),
        );
      io.stdout.write(table(rows));
    }
    io.stdout.write('(members of system:masters are allowed everything ahead of RBAC)\n');
  }
  return finish(loaded, opts, 0);
}

/** `palisade rbac can-i`: exit 0 yes, 1 no. */
export async function runCanI(
  verb: string,
  resource: string,
  paths: string[],
  opts: Opts,
  io: CliIO,
): Promise<number> {
  const attrs = requestFromArgs(verb, resource, opts);
  const subject = subjectArg(optString(opts, 'as') ?? '');
  const user = identityOf(subject, optList(opts, 'asGroup'));
  const loaded = await loadModel(paths, opts, io);
  const d = authorize(loaded.model, user, attrs);
  const grants = d.allowed && d.reason ? allGrants(loaded.model, user, attrs) : [];
  if (opts.output === 'json') {
    io.stdout.write(
      `${JSON.stringify(
        {
          allowed: d.allowed,
          user: { username: user.name, groups: user.groups },
          ...(d.privilegedGroup ? { privilegedGroup: d.privilegedGroup } : {}),
          via: grants.map((g) => ({
            binding: bindingLabel(g.binding),
            role: roleLabel(g.role),
            rule: g.ruleIndex,
          })),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout.write(`${d.allowed ? 'yes' : 'no'}\n`);
    if (d.privilegedGroup)
      io.stdout.write(`  member of ${d.privilegedGroup}, which the API server allows everything\n`);
    for (const g of grants)
      io.stdout.write(
        `  ${bindingLabel(g.binding)} → ${roleLabel(g.role)} rule ${g.ruleIndex + 1}: ${formatRule(g.role.rules[g.ruleIndex] ?? g.role.rules[0] ?? { verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [] })}\n`,
      );
    if (!d.allowed)
      io.stdout.write(
        `  no binding of ${user.name || formatSubject(subject)} (groups ${user.groups.join(', ')}) allows ${describeRequest(attrs)}\n`,
      );
  }
  return finish(loaded, opts, d.allowed ? 0 : 1);
}

/** `palisade rbac list SUBJECT`. */
export async function runList(subjectText: string, paths: string[], opts: Opts, io: CliIO): Promise<number> {
  const subject = subjectArg(subjectText);
  const user = identityOf(subject, optList(opts, 'asGroup'));
  const loaded = await loadModel(paths, opts, io);
  const rules = effectiveRules(loaded.model, user);
  if (opts.output === 'json') {
    io.stdout.write(
      `${JSON.stringify({ subject, groups: user.groups, rules: rules.map((r) => ({ namespace: r.namespace || undefined, rule: r.rule, via: r.via })) }, null, 2)}\n`,
    );
  } else {
    io.stdout.write(
      `Effective rules of ${formatSubject(subject)} (groups: ${user.groups.join(', ') || 'none'}):\n`,
    );
    if (rules.length === 0) io.stdout.write('  none\n');
    let scope: string | undefined;
    for (const r of rules) {
      if (r.namespace !== scope) {
        scope = r.namespace;
        io.stdout.write(scope === '' ? 'cluster-wide:\n' : `namespace ${scope}:\n`);
      }
      io.stdout.write(`  ${formatRule(r.rule)}\n`);
      for (const v of r.via) io.stdout.write(`      via ${v.binding} → ${v.role}\n`);
    }
  }
  return finish(loaded, opts, 0);
}

/** `palisade rbac paths`: exit 1 when a path is found. */
export async function runPaths(paths: string[], opts: Opts, io: CliIO): Promise<number> {
  const to = optList(opts, 'to');
  for (const t of to)
    if (!(DEFAULT_TARGETS as readonly string[]).includes(t) && !/^secrets:[^:]+$/.test(t))
      throw new UsageError(
        `--to must be cluster-admin, node, admission-bypass or secrets:NAMESPACE (got "${t}")`,
      );
  const from = optList(opts, 'from').map((f) => subjectNodeId(subjectArg(f)) ?? '');
  const loaded = await loadModel(paths, opts, io);
  const graph = buildEscalationGraph(loaded.model);
  const found = findPaths(graph, { ...(from.length > 0 ? { from } : {}), ...(to.length > 0 ? { to } : {}) });
  if (opts.output === 'json') io.stdout.write(`${JSON.stringify({ paths: found }, null, 2)}\n`);
  else if (opts.output === 'dot') io.stdout.write(renderPathsDot(found, graph));
  else if (opts.output === 'html') io.stdout.write(renderPathsHtml(found, graph));
  else io.stdout.write(renderPathsText(found, graph));
  return finish(loaded, opts, found.length > 0 ? 1 : 0);
}

/** `palisade rbac suggest`. */
export async function runSuggest(paths: string[], opts: Opts, io: CliIO): Promise<number> {
  const file = optString(opts, 'auditLog') ?? '';
  let text: string;
  try {
    text =
      file === '-'
        ? (await io.readStdin()).toString('utf8')
        : await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new InputError(`cannot read audit log ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const log = parseAuditLog(text);
  for (const i of log.issues) io.stderr.write(`palisade: ${file}:${i.line}: ${i.message}\n`);
  const loaded = paths.length > 0 ? await loadModel(paths, opts, io) : undefined;
  const subjects = optList(opts, 'subject').map(subjectArg);
  const suggestions = suggestRoles(log.calls, {
    ...(subjects.length > 0 ? { subjects } : {}),
    ...(loaded ? { model: loaded.model } : {}),
  });
  if (opts.output === 'json') {
    io.stdout.write(
      `${JSON.stringify(
        {
          suggestions: suggestions.map((s) => ({
            subject: s.subject,
            calls: s.calls,
            objects: s.objects,
            current: s.current.map((c) => ({
              namespace: c.namespace || undefined,
              rule: c.rule,
              via: c.via,
              used: c.used,
            })),
          })),
        },
        null,
        2,
      )}\n`,
    );
  } else if (opts.output === 'diff') {
    for (const s of suggestions) {
      io.stdout.write(`${formatSubject(s.subject)} (${s.calls} calls)\n`);
      for (const c of s.current)
        io.stdout.write(
          `${c.used ? '~' : '-'} ${c.namespace || 'cluster-wide'}: ${formatRule(c.rule)}  [${c.via.map((v) => `${v.binding} → ${v.role}`).join('; ')}]${c.used ? '  (used; replaced by the suggestion)' : '  (unused)'}\n`,
        );
      for (const [scope, rules] of s.rules)
        for (const r of rules) io.stdout.write(`+ ${scope || 'cluster-wide'}: ${formatRule(r)}\n`);
      io.stdout.write('\n');
    }
  } else {
    const docs = suggestions.flatMap((s) => s.objects);
    io.stdout.write(
      docs.map((d) => stringify(d, { aliasDuplicateObjects: false, lineWidth: 0 })).join('---\n'),
    );
  }
  if (log.issues.length > 0 && opts.ignoreInputErrors !== true) return 2;
  return loaded ? finish(loaded, opts, 0) : 0;
}

/** One grant of a side: `binding → role`, and the group it comes through. */
function describeVia(v: Via): string {
  return `${v.binding} → ${v.role}${v.group !== undefined ? ` (as a member of ${v.group})` : ''}`;
}

/** `palisade rbac sod`: exit 1 when a conflict is found. */
export async function runSod(paths: string[], opts: Opts, io: CliIO): Promise<number> {
  const rulesFile = optString(opts, 'rules');
  let raw: unknown = DEFAULT_SOD_RULES;
  if (rulesFile !== undefined) {
    try {
      raw = parseYaml(await readFile(path.resolve(io.cwd, rulesFile), 'utf8'));
    } catch (e) {
      throw new InputError(
        `cannot read rule file ${rulesFile}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  const rules = compileSodRules(raw);
  if (!rules.ok)
    throw new InputError(`invalid rule file ${rulesFile ?? '(built-in)'}:\n  ${rules.error.join('\n  ')}`);
  const loaded = await loadModel(paths, opts, io);
  const findings = evaluateSod(loaded.model, rules.value);
  if (opts.output === 'json') io.stdout.write(`${JSON.stringify({ findings }, null, 2)}\n`);
  else if (findings.length === 0) io.stdout.write('No segregation-of-duties conflicts.\n');
  else
    for (const f of findings) {
      io.stdout.write(`${f.severity} ${f.ruleId}: ${formatSubject(f.subject)} — ${f.title}\n`);
      io.stdout.write(`  ${f.a.name}: ${f.a.via.map(describeVia).join('; ')}\n`);
      io.stdout.write(`  ${f.b.name}: ${f.b.via.map(describeVia).join('; ')}\n`);
    }
  return finish(loaded, opts, findings.length > 0 ? 1 : 0);
}

/** `palisade rbac diff BASE HEAD`: exit 1 when permissions changed. */
export async function runDiff(base: string, head: string, opts: Opts, io: CliIO): Promise<number> {
  const a = await loadModel([base], opts, io);
  const b = await loadModel([head], opts, io);
  const changes = diffRbac(a.model, b.model);
  if (opts.output === 'json') io.stdout.write(`${JSON.stringify({ changes }, null, 2)}\n`);
  else io.stdout.write(renderDiffText(changes));
  const code = changes.length > 0 ? 1 : 0;
  return (a.inputErrors.length > 0 || b.inputErrors.length > 0) && opts.ignoreInputErrors !== true ? 2 : code;
}
