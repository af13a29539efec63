/**
 * The Helm chart deploy/helm/palisade checked without a helm binary (admission.test.ts renders
 * it with helm when one is on PATH). A small reader renders the chart's templates for the
 * default values with exactly the template constructs the chart uses: value references,
 * `include`/`toYaml` blocks, `if`/`range`/`with` on values. A construct it does not know in a
 * condition fails the test (extend the reader, never guess); an unknown inline expression is a
 * wildcard that matches any value. The rendered objects are then compared with what
 * `palisade admission install` prints, so a change to one that is not made to the other fails.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const CHART = path.resolve(import.meta.dirname, '../../../deploy/helm/palisade');
const NAMESPACE = 'palisade-system';
/** What an expression the reader does not evaluate renders as: it matches any value. */
const ANY = '__any__';

type Values = Record<string, unknown>;

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** The value at a dotted path (`a.b.c`), or undefined when a step is missing. */
function at(root: unknown, dotted: string): unknown {
  let v: unknown = root;
  for (const k of dotted.split('.')) {
    const r = record(v);
    if (r === undefined || !(k in r)) return undefined;
    v = r[k];
  }
  return v;
}

/** Every `.Values.a.b` path a template text refers to. */
function valuePaths(text: string): string[] {
  return [...text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) => (m[1] ?? '').slice(1));
}

/** The `define` blocks of a helpers file, by name, as lines. */
function defines(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\{\{-? define "([^"]+)" -?\}\}$/.exec(lines[i]?.trim() ?? '');
    if (!m?.[1]) continue;
    let depth = 0;
    const body: string[] = [];
    for (i++; i < lines.length; i++) {
      const line = lines[i] ?? '';
      const t = line.trim();
      if (/^\{\{-? (if|range|with|define) /.test(t)) depth++;
      if (/^\{\{-? end -?\}\}$/.test(t)) {
        if (depth === 0) break;
        depth--;
      }
      body.push(line);
    }
    out.set(m[1], body);
  }
  return out;
}

interface RenderContext {
  values: Values;
  chart: Record<string, unknown>;
  helpers: Map<string, string[]>;
  vars: Map<string, unknown>;
  /** The fields of a `dict` passed to an include besides Values (`.operations`). */
  locals?: Record<string, unknown>;
}

const truthy = (v: unknown): boolean =>
  v === ANY ||
  (v !== undefined &&
    v !== null &&
    v !== false &&
    v !== '' &&
    v !== 0 &&
    !(Array.isArray(v) && v.length === 0) &&
    !(record(v) !== undefined && Object.keys(v).length === 0));

/** An operand: `.Values.x`, `.Release.Namespace`, `.Chart.X`, `$var`, a string literal; else ANY. */
function operand(text: string, ctx: RenderContext): unknown {
  const t = text.trim();
  if (t.startsWith('.Values.')) return at(ctx.values, t.slice('.Values.'.length));
  if (t === '.Release.Namespace') return NAMESPACE;
  if (t === '.Release.Service') return 'Helm';
  if (t.startsWith('.Chart.')) {
    // Helm spells Chart.yaml's keys with a capital (appVersion is .Chart.AppVersion).
    const k = t.slice('.Chart.'.length);
    return ctx.chart[k.charAt(0).toLowerCase() + k.slice(1)];
  }
  if (/^\$\w+$/.test(t)) return ctx.vars.has(t) ? ctx.vars.get(t) : ANY;
  if (/^"[^"]*"$/.test(t)) return t.slice(1, -1);
  const list = /^\(list((?: "[^"]*")+)\)$/.exec(t);
  if (list?.[1] !== undefined) return [...list[1].matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  const local = /^\.(\w+)$/.exec(t);
  if (local?.[1] !== undefined && ctx.locals !== undefined && local[1] in ctx.locals)
    return ctx.locals[local[1]];
  return ANY;
}

/** The value of an inline expression, or ANY when the reader does not evaluate it. */
function evaluate(expr: string, ctx: RenderContext): unknown {
  const e = expr.trim();
  const pipe = /^([^|]*)\|\s*quote$/.exec(e);
  if (pipe?.[1] !== undefined) {
    const v = evaluate(pipe[1].trim(), ctx);
    return v === ANY ? ANY : JSON.stringify(String(v));
  }
  const json = /^toJson (\S+)$/.exec(e);
  if (json?.[1] !== undefined) {
    const v = operand(json[1], ctx);
    return v === ANY || v === undefined ? ANY : JSON.stringify(v);
  }
  const dflt = /^default (\(.+\)|\S+) (\S+)$/.exec(e);
  if (dflt?.[1] !== undefined && dflt[2] !== undefined) {
    const v = operand(dflt[2], ctx);
    if (truthy(v)) return v;
    return dflt[1].startsWith('(') ? evaluate(dflt[1].slice(1, -1), ctx) : operand(dflt[1], ctx);
  }
  const printf = /^printf "([^"]*)" (\S+)$/.exec(e);
  if (printf?.[1] !== undefined && printf[2] !== undefined) {
    const v = operand(printf[2], ctx);
    return v === ANY ? ANY : printf[1].replace('%s', String(v));
  }
  const include = /^include "([^"]+)" \.$/.exec(e);
  if (include?.[1] !== undefined) return renderLines(helper(include[1], ctx), ctx).join('\n').trim();
  return operand(e, ctx);
}

function helper(name: string, ctx: RenderContext): string[] {
  const body = ctx.helpers.get(name);
  if (body === undefined) throw new Error(`include "${name}": no such define in _helpers.tpl`);
  return body;
}

function scalar(v: unknown): string {
  if (v === ANY) return ANY;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A condition of `if`/`with`/`range`: a value reference, optionally under `not`. */
function condition(text: string, ctx: RenderContext): boolean {
  const not = /^not (.+)$/.exec(text.trim());
  if (not?.[1] !== undefined) return !condition(not[1], ctx);
  const t = text.trim();
  if (!/^(\.Values(\.\w+)+|\$\w+)$/.test(t))
    throw new Error(`the chart reader does not evaluate the condition "${t}": extend helm-chart.test.ts`);
  return truthy(operand(t, ctx));
}

/** Renders template lines for the default values. */
function renderLines(lines: readonly string[], ctx: RenderContext): string[] {
  const out: string[] = [];
  // Each open block: whether its current branch is rendered.
  const stack: { on: boolean; taken: boolean }[] = [];
  const active = (): boolean => stack.every((b) => b.on);
  for (const line of lines) {
    const t = line.trim();
    if (/^\{\{-? \/\*.*\*\/ -?\}\}$/.test(t)) continue;
    const block = /^\{\{-? (if|with|range) (.+?) -?\}\}$/.exec(t);
    if (block?.[2] !== undefined) {
      const on = active() && condition(block[2], ctx);
      stack.push({ on, taken: on });
      continue;
    }
    if (/^\{\{-? else -?\}\}$/.test(t)) {
      const top = stack.at(-1);
      if (!top) throw new Error('else without if');
      top.on = !top.taken && stack.slice(0, -1).every((b) => b.on);
      continue;
    }
    if (/^\{\{-? end -?\}\}$/.test(t)) {
      stack.pop();
      continue;
    }
    const assign = /^\{\{-? (\$\w+) :?= (.+?) -?\}\}$/.exec(t);
    if (assign?.[1] !== undefined && assign[2] !== undefined) {
      if (active()) ctx.vars.set(assign[1], evaluate(assign[2], ctx));
      continue;
    }
    if (!active()) continue;
    // `key: {{- include "x" . | nindent N }}` or a line of its own: a block at indent N.
    const nindent = /^([^{]*)\{\{- (include "([^"]+)" [^|]+|toYaml (\S+)) \| nindent (\d+) \}\}$/.exec(line);
    if (nindent) {
      const [, rawBefore = '', , name, valuePath, width = '0'] = nindent;
      const before = rawBefore.trimEnd();
      let body: string[];
      if (name !== undefined) {
        // The context: `.`, or a dict of the values and one more field; anything else is not rendered.
        const arg = /^include "[^"]+" (.+)$/.exec((nindent[2] ?? '').trim())?.[1] ?? '';
        const dict = /^\(dict "Values" \.Values "(\w+)" (.+)\)$/.exec(arg);
        if (arg === '.') body = renderLines(helper(name, ctx), ctx);
        else if (dict?.[1] !== undefined && dict[2] !== undefined)
          body = renderLines(helper(name, ctx), { ...ctx, locals: { [dict[1]]: operand(dict[2], ctx) } });
        else body = [ANY];
        body = body.map((l) => l.replace(/^\s*$/, '')).filter((l) => l !== '');
      } else {
        const v = operand(valuePath ?? '', ctx);
        body = v === ANY ? [ANY] : YAML.stringify(v).trimEnd().split('\n');
      }
      if (body.length === 1 && body[0] === ANY) {
        out.push(`${before} ${ANY}`);
        continue;
      }
      if (before.trim() !== '') out.push(before);
      const pad = ' '.repeat(Number(width));
      const base = Math.min(...body.map((l) => l.length - l.trimStart().length));
      for (const l of body) out.push(pad + l.slice(base));
      continue;
    }
    out.push(line.replace(/\{\{-? (.+?) -?\}\}/g, (_, expr: string) => scalar(evaluate(expr, ctx))));
  }
  return out;
}

interface Chart {
  values: Values;
  objects: { file: string; object: Record<string, unknown> }[];
}

function renderChart(overrides: (values: Values) => void = () => undefined): Chart {
  const values = YAML.parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Values;
  overrides(values);
  const chart = YAML.parse(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const helpers = defines(readFileSync(path.join(CHART, 'templates', '_helpers.tpl'), 'utf8'));
  const objects: Chart['objects'] = [];
  for (const file of readdirSync(path.join(CHART, 'templates')).filter((f) => f.endsWith('.yaml'))) {
    const ctx: RenderContext = { values, chart, helpers, vars: new Map() };
    const text = renderLines(readFileSync(path.join(CHART, 'templates', file), 'utf8').split('\n'), ctx).join(
      '\n',
    );
    for (const doc of YAML.parseAllDocuments(text)) {
      expect(doc.errors.map((e) => `${file}: ${e.message}`)).toEqual([]);
      const object = record(doc.toJS());
      if (object !== undefined) objects.push({ file, object });
    }
  }
  return { values, objects };
}

/**
 * Whether the chart's value matches the generator's: ANY matches anything, a string holding ANY
 * is a pattern, objects have the same keys (bar `ignore`), texts of YAML compare as data.
 */
function differences(chart: unknown, ours: unknown, where: string, ignore: ReadonlySet<string>): string[] {
  if (chart === ANY) return [];
  if (typeof chart === 'string' && chart.includes(ANY) && typeof ours === 'string') {
    const pattern = new RegExp(
      `^${chart
        .split(ANY)
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      's',
    );
    return pattern.test(ours) ? [] : [`${where}: chart ${chart}, generator ${ours}`];
  }
  if (typeof chart === 'string' && typeof ours === 'string' && chart !== ours && chart.includes('\n'))
    return differences(YAML.parse(chart), YAML.parse(ours), `${where} (as YAML)`, ignore);
  if (Array.isArray(chart) && Array.isArray(ours)) {
    if (chart.length !== ours.length)
      return [`${where}: chart has ${chart.length} items, generator ${ours.length}`];
    return chart.flatMap((c, i) => differences(c, ours[i], `${where}[${i}]`, ignore));
  }
  const c = record(chart);
  const o = record(ours);
  if (c !== undefined && o !== undefined) {
    const keys = new Set([...Object.keys(c), ...Object.keys(o)]);
    return [...keys].flatMap((k) => {
      const p = `${where}.${k}`;
      if (ignore.has(p)) return [];
      if (!(k in c)) return [`${p}: only in the generator`];
      if (!(k in o)) return [`${p}: only in the chart`];
      return differences(c[k], o[k], p, ignore);
    });
  }
  return chart === ours
    ? []
    : [`${where}: chart ${JSON.stringify(chart)}, generator ${JSON.stringify(ours)}`];
}

/** What the chart adds on purpose: Helm's pod labels, the image pull policy, the config checksum. */
const CHART_ONLY = new Set([
  'Deployment.spec.template.metadata.annotations',
  'Deployment.spec.template.metadata.labels',
  'Deployment.spec.template.spec.containers[0].imagePullPolicy',
]);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-chart-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('Helm chart deploy/helm/palisade without helm', () => {
  it('refers only to values that values.yaml holds, and includes only defined helpers', () => {
    const values = YAML.parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Values;
    const helpersText = readFileSync(path.join(CHART, 'templates', '_helpers.tpl'), 'utf8');
    const helpers = defines(helpersText);
    const missing: string[] = [];
    for (const file of readdirSync(path.join(CHART, 'templates'))) {
      const text = readFileSync(path.join(CHART, 'templates', file), 'utf8');
      for (const p of valuePaths(text))
        if (at(values, p) === undefined) missing.push(`${file}: .Values.${p}`);
      for (const m of text.matchAll(/include "([^"]+)"/g))
        if (!helpers.has(m[1] ?? '')) missing.push(`${file}: include "${m[1] ?? ''}"`);
    }
    expect(missing).toEqual([]);
    expect(helpers.size).toBeGreaterThan(0);
  });

  it('a reference to a value that is not there is found (the check itself works)', () => {
    const values = YAML.parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Values;
    expect(
      valuePaths('x: {{ .Values.webhook.timeoutSecond }}').filter((p) => at(values, p) === undefined),
    ).toEqual(['webhook.timeoutSecond']);
  });

  it('every template renders to YAML for the default values and with watch on', () => {
    expect(renderChart().objects.map((o) => o.object.kind)).not.toContain('CronJob');
    const kinds = (c: Chart): string[] => c.objects.map((o) => `${o.file}:${String(o.object.kind)}`);
    const on = renderChart((v) => {
      (v.watch as Values).enabled = true;
    });
    expect(kinds(on).filter((k) => k.startsWith('watch.yaml:'))).toContain('watch.yaml:Deployment');
    expect(kinds(renderChart()).filter((k) => k.startsWith('watch.yaml:'))).toEqual([]);
  });

  it('renders the objects palisade admission install prints, field by field', async () => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(['admission', 'install'], io)).toBe(0);
    const generated = YAML.parseAllDocuments(io.out())
      .map((d) => record(d.toJS()))
      .filter((o): o is Record<string, unknown> => o !== undefined && o.kind !== 'Namespace');
    const chart = renderChart().objects.map((o) => o.object);
    const key = (o: Record<string, unknown>): string =>
      `${String(o.kind)}/${String(record(o.metadata)?.name)}`;
    expect(chart.map(key).sort()).toEqual(generated.map(key).sort());
    const problems: string[] = [];
    for (const ours of generated) {
      const theirs = chart.find((c) => key(c) === key(ours));
      // Labels differ on purpose (managed-by Helm, the chart's version).
      const strip = (o: Record<string, unknown>): Record<string, unknown> => ({
        ...o,
        metadata: { ...record(o.metadata), labels: ANY },
      });
      problems.push(...differences(strip(theirs ?? {}), strip(ours), String(ours.kind), CHART_ONLY));
    }
    expect(problems).toEqual([]);
  });

  it('a drift between the chart and the generator is found (the comparison itself works)', () => {
    const base = { kind: 'Service', spec: { ports: [{ port: 443 }] } };
    expect(
      differences(base, { kind: 'Service', spec: { ports: [{ port: 8443 }] } }, 'Service', new Set()),
    ).toEqual(['Service.spec.ports[0].port: chart 443, generator 8443']);
    expect(differences({ a: `x-${ANY}` }, { a: 'x-1', b: 1 }, 'O', new Set())).toEqual([
      'O.b: only in the generator',
    ]);
  });
});
