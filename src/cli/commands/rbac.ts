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
  pathsInNamespace,
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
  inputResources,
  whoCanAnyNamespace,
  type ApiResource,
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
import { parseOutputs, renderData, writeOutputs } from '../output.js';
import { PATHS_FORMATS, SUGGEST_FORMATS, TABLE_FORMATS } from './rbac-formats.js';

type Opts = Record<string, unknown>;

const optString = (o: Opts, k: string): string | undefined => (typeof o[k] === 'string' ? o[k] : undefined);
const optList = (o: Opts, k: string): string[] => (Array.isArray(o[k]) ? (o[k] as string[]) : []);

/** `-n NS` (undefined without it); `-n` with `-A` is a usage error. */
function namespaceOption(opts: Opts): string | undefined {
  const only = optString(opts, 'namespace');
  if (only !== undefined && opts.allNamespaces === true)
    throw new UsageError('-A/--all-namespaces and -n/--namespace cannot be used together');
  if (only === '') throw new UsageError('-n/--namespace needs a namespace name');
  return only;
}

interface Loaded {
  model: RbacModel;
  inputErrors: InputIssue[];
  /** Resources the input's CRDs and rules name, for resolving custom resources. */
  known: ApiResource[];
}

async function loadModel(paths: string[], opts: Opts, io: CliIO): Promise<Loaded> {
  const loaded = await loadInventorySource(paths, opts, io);
  const model = buildRbacModel(loaded.inventory);
  const rules = [...model.clusterRoles.values(), ...model.roles.values()].flatMap((r) => r.rules);
  const known = inputResources(
    loaded.inventory.byKind('CustomResourceDefinition').map((r) => r.object),
    rules,
  );
  for (const e of loaded.inputErrors)
    io.stderr.write(`palisade: ${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}\n`);
  for (const i of model.issues) {
    const where = i.location ? `${i.location.file}:${i.location.line}:${i.location.column}: ` : '';
    io.stderr.write(`${where}${i.severity} ${i.code}: ${i.message}\n`);
  }
  return { model, inputErrors: loaded.inputErrors, known };
}

function finish(loaded: Loaded, opts: Opts, code: number): number {
  return loaded.inputErrors.length > 0 && opts.ignoreInputErrors !== true ? 2 : code;
}

/** Turns the VERB RESOURCE arguments and flags into request attributes. */
export function requestFromArgs(
  verb: string,
  resource: string,
  opts: Opts,
  known: readonly ApiResource[] = [],
): RequestAttributes {
  if (resource.startsWith('/')) return { resourceRequest: false, verb, path: resource };
  const r = resolveResource(resource, optString(opts, 'apiGroup'), known);
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

/** The who-can table: one row per grant, the subject named on its first row. */
function whoCanTable(
  subjects: readonly {
    kind: string;
    namespace?: string;
    name: string;
    via: readonly (Via & { namespace?: string })[];
  }[],
  anyNamespace: boolean,
): string {
  const rows = [
    anyNamespace ? ['KIND', 'NAMESPACE', 'NAME', 'WHERE', 'VIA'] : ['KIND', 'NAMESPACE', 'NAME', 'VIA'],
  ];
  for (const s of subjects)
    s.via.forEach((v, i) => {
      const who = i === 0 ? [s.kind, s.namespace ?? '', s.name] : ['', '', ''];
      const where = v.namespace ?? 'all namespaces';
      rows.push([...who, ...(anyNamespace ? [where] : []), `${v.binding} → ${v.role}`]);
    });
  return table(rows);
}

/** `palisade rbac who-can`. */
export async function runWhoCan(
  verb: string,
  resource: string,
  paths: string[],
  opts: Opts,
  io: CliIO,
): Promise<number> {
  const outputs = parseOutputs(opts.output, opts.outputFile, TABLE_FORMATS);
  const anyNamespace = opts.allNamespaces === true;
  if (anyNamespace && optString(opts, 'namespace') !== undefined)
    throw new UsageError('-A/--all-namespaces and -n/--namespace cannot be used together');
  const loaded = await loadModel(paths, opts, io);
  const attrs = requestFromArgs(verb, resource, opts, loaded.known);
  const { whoCan } = await import('../../rbac/index.js');
  const subjects = anyNamespace ? whoCanAnyNamespace(loaded.model, attrs) : whoCan(loaded.model, attrs);
  await writeOutputs(outputs, io, (format) => {
    if (format !== 'table') return renderData(format, { subjects });
    const question = anyNamespace
      ? `${describeRequest({ ...attrs, ...(attrs.resourceRequest ? { namespace: '' } : {}) }).replace(/ cluster-wide$/, '')} in any namespace`
      : describeRequest(attrs);
    const body = subjects.length === 0 ? '  nobody through RBAC\n' : whoCanTable(subjects, anyNamespace);
    return `Who can ${question}:\n${body}(members of system:masters are allowed everything ahead of RBAC)\n`;
  });
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
  const outputs = parseOutputs(opts.output, opts.outputFile, TABLE_FORMATS);
  const subject = subjectArg(optString(opts, 'as') ?? '');
  const user = identityOf(subject, optList(opts, 'asGroup'));
  const loaded = await loadModel(paths, opts, io);
  const attrs = requestFromArgs(verb, resource, opts, loaded.known);
  const d = authorize(loaded.model, user, attrs);
  const grants = d.allowed && d.reason ? allGrants(loaded.model, user, attrs) : [];
  await writeOutputs(outputs, io, (format) => {
    if (format !== 'table')
      return renderData(format, {
        allowed: d.allowed,
        user: { username: user.name, groups: user.groups },
        ...(d.privilegedGroup ? { privilegedGroup: d.privilegedGroup } : {}),
        via: grants.map((g) => ({
          binding: bindingLabel(g.binding),
          role: roleLabel(g.role),
          rule: g.ruleIndex,
        })),
      });
    let text = `${d.allowed ? 'yes' : 'no'}\n`;
    if (d.privilegedGroup)
      text += `  member of ${d.privilegedGroup}, which the API server allows everything\n`;
    for (const g of grants) {
      const rule = g.role.rules[g.ruleIndex];
      // Rules are numbered from 0, as `rules[N]` in the role and in every other command.
      text += `  ${bindingLabel(g.binding)} → ${roleLabel(g.role)} rules[${g.ruleIndex}]${rule ? `: ${formatRule(rule)}` : ''}\n`;
    }
    if (!d.allowed)
      text += `  no binding of ${user.name || formatSubject(subject)} (groups ${user.groups.join(', ')}) allows ${describeRequest(attrs)}\n`;
    return text;
  });
  return finish(loaded, opts, d.allowed ? 0 : 1);
}

/** `palisade rbac list SUBJECT`. */
export async function runList(subjectText: string, paths: string[], opts: Opts, io: CliIO): Promise<number> {
  const outputs = parseOutputs(opts.output, opts.outputFile, TABLE_FORMATS);
  const subject = subjectArg(subjectText);
  const user = identityOf(subject, optList(opts, 'asGroup'));
  const only = namespaceOption(opts);
  const loaded = await loadModel(paths, opts, io);
  // -n keeps what applies in that namespace: its own rules and the cluster-wide ones.
  const rules = effectiveRules(loaded.model, user).filter(
    (r) => only === undefined || r.namespace === '' || r.namespace === only,
  );
  await writeOutputs(outputs, io, (format) => {
    if (format !== 'table')
      return renderData(format, {
        subject,
        groups: user.groups,
        rules: rules.map((r) => ({ namespace: r.namespace || undefined, rule: r.rule, via: r.via })),
      });
    let text = `Effective rules of ${formatSubject(subject)} (groups: ${user.groups.join(', ') || 'none'}):\n`;
    if (rules.length === 0) text += '  none\n';
    let scope: string | undefined;
    for (const r of rules) {
      if (r.namespace !== scope) {
        scope = r.namespace;
        text += scope === '' ? 'cluster-wide:\n' : `namespace ${scope}:\n`;
      }
      text += `  ${formatRule(r.rule)}\n`;
      for (const v of r.via) text += `      via ${v.binding} → ${v.role}\n`;
    }
    return text;
  });
  return finish(loaded, opts, 0);
}

/** `palisade rbac paths`: exit 1 when a path is found. */
export async function runPaths(paths: string[], opts: Opts, io: CliIO): Promise<number> {
  const outputs = parseOutputs(opts.output, opts.outputFile, PATHS_FORMATS);
  const to = optList(opts, 'to');
  for (const t of to)
    if (!(DEFAULT_TARGETS as readonly string[]).includes(t) && !/^secrets:[^:]+$/.test(t))
      throw new UsageError(
        `--to must be cluster-admin, node, admission-bypass or secrets:NAMESPACE (got "${t}")`,
      );
  const from = optList(opts, 'from').map((f) => subjectNodeId(subjectArg(f)) ?? '');
  const only = namespaceOption(opts);
  const loaded = await loadModel(paths, opts, io);
  const graph = buildEscalationGraph(loaded.model);
  // -n NS also looks for the way to NS's Secrets, and keeps the paths that concern NS.
  const targets = to.length > 0 ? to : only !== undefined ? [...DEFAULT_TARGETS, `secrets:${only}`] : [];
  const all = findPaths(graph, {
    ...(from.length > 0 ? { from } : {}),
    ...(targets.length > 0 ? { to: targets } : {}),
  });
  const found = only !== undefined ? pathsInNamespace(all, only) : all;
  await writeOutputs(outputs, io, (format) =>
    format === 'json' || format === 'yaml'
      ? renderData(format, { paths: found })
      : format === 'dot'
        ? renderPathsDot(found, graph)
        : format === 'html'
          ? renderPathsHtml(found, graph)
          : renderPathsText(found, graph),
  );
  return finish(loaded, opts, found.length > 0 ? 1 : 0);
}

/** `palisade rbac suggest`. */
export async function runSuggest(paths: string[], opts: Opts, io: CliIO): Promise<number> {
  const outputs = parseOutputs(opts.output, opts.outputFile, SUGGEST_FORMATS);
  const only = namespaceOption(opts);
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
    ...(only !== undefined ? { namespace: only } : {}),
  });
  await writeOutputs(outputs, io, (format) => {
    if (format === 'json')
      return renderData(format, {
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
      });
    if (format === 'diff' || format === 'table') {
      let text = '';
      for (const s of suggestions) {
        text += `${formatSubject(s.subject)} (${s.calls} calls)\n`;
        for (const c of s.current)
          text += `${c.used ? '~' : '-'} ${c.namespace || 'cluster-wide'}: ${formatRule(c.rule)}  [${c.via.map((v) => `${v.binding} → ${v.role}`).join('; ')}]${c.used ? '  (used; replaced by the suggestion)' : '  (unused)'}\n`;
        for (const [scope, rules] of s.rules)
          for (const r of rules) text += `+ ${scope || 'cluster-wide'}: ${formatRule(r)}\n`;
        text += '\n';
      }
      return text;
    }
    return suggestions
      .flatMap((s) => s.objects)
      .map((d) => stringify(d, { aliasDuplicateObjects: false, lineWidth: 0 }))
      .join('---\n');
  });
  if (log.issues.length > 0 && opts.ignoreInputErrors !== true) return 2;
  return loaded ? finish(loaded, opts, 0) : 0;
}

/** One grant of a side: `binding → role`, and the group it comes through. */
function describeVia(v: Via): string {
  return `${v.binding} → ${v.role}${v.group !== undefined ? ` (as a member of ${v.group})` : ''}`;
}

/** `palisade rbac sod`: exit 1 when a conflict is found. */
export async function runSod(paths: string[], opts: Opts, io: CliIO): Promise<number> {
  const outputs = parseOutputs(opts.output, opts.outputFile, TABLE_FORMATS);
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
  const only = namespaceOption(opts);
  const rules = compileSodRules(raw);
  if (!rules.ok)
    throw new InputError(`invalid rule file ${rulesFile ?? '(built-in)'}:\n  ${rules.error.join('\n  ')}`);
  const loaded = await loadModel(paths, opts, io);
  const findings = evaluateSod(loaded.model, rules.value, only !== undefined ? { namespace: only } : {});
  const within = only !== undefined ? ` within namespace ${only}` : '';
  await writeOutputs(outputs, io, (format) => {
    if (format !== 'table') return renderData(format, { findings });
    if (findings.length === 0) return `No segregation-of-duties conflicts${within}.\n`;
    return findings
      .map(
        (f) =>
          `${f.severity} ${f.ruleId}: ${formatSubject(f.subject)}${within} — ${f.title}\n` +
          `  ${f.a.name}: ${f.a.via.map(describeVia).join('; ')}\n` +
          `  ${f.b.name}: ${f.b.via.map(describeVia).join('; ')}\n`,
      )
      .join('');
  });
  return finish(loaded, opts, findings.length > 0 ? 1 : 0);
}

/**
 * `palisade rbac diff BASE HEAD`, or `rbac diff --cluster|--snapshot F HEAD` with the live
 * cluster or a snapshot as the base: exit 1 when permissions changed.
 */
export async function runDiff(sides: string[], opts: Opts, io: CliIO): Promise<number> {
  const outputs = parseOutputs(opts.output, opts.outputFile, TABLE_FORMATS);
  const liveBase = opts.cluster === true || typeof opts.snapshot === 'string';
  const want = liveBase ? 1 : 2;
  if (sides.length !== want)
    throw new UsageError(
      liveBase
        ? `with ${opts.cluster === true ? '--cluster' : '--snapshot'} as the base, give one HEAD (got ${sides.length} arguments)`
        : `give BASE and HEAD (got ${sides.length} argument${sides.length === 1 ? '' : 's'}), or one HEAD with --cluster or --snapshot F`,
    );
  const headOnly: Opts = { ...opts, cluster: false, snapshot: undefined };
  const only = optString(opts, 'namespace');
  if (only !== undefined && opts.allNamespaces === true)
    throw new UsageError('-A/--all-namespaces and -n/--namespace cannot be used together');
  const a = liveBase ? await loadModel([], opts, io) : await loadModel([sides[0] ?? ''], headOnly, io);
  const b = await loadModel([sides[want - 1] ?? ''], headOnly, io);
  // -n keeps what applies in that namespace: its RoleBindings' grants and the cluster-wide ones.
  const changes = diffRbac(a.model, b.model).filter(
    (c) => only === undefined || c.namespace === '' || c.namespace === only,
  );
  await writeOutputs(outputs, io, (format) =>
    format === 'table' ? renderDiffText(changes) : renderData(format, { changes }),
  );
  const code = changes.length > 0 ? 1 : 0;
  return (a.inputErrors.length > 0 || b.inputErrors.length > 0) && opts.ignoreInputErrors !== true ? 2 : code;
}
