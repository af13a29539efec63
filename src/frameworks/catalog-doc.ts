/**
 * The control catalogue as data, Markdown and a terminal table: `palisade controls list`
 * prints these, and docs/controls.md is the Markdown form of the whole catalogue.
 */
import type { CatalogEntry, Severity } from '../core/index.js';
import { FRAMEWORKS } from './frameworks.js';

/** One control as `controls list -o json` prints it. */
export interface ControlListing {
  id: string;
  title: string;
  severity: Severity;
  category: string;
  appliesTo: string;
  rationale: string;
  remediation: string;
  frameworks: { id: string; control: string }[];
}

function appliesToText(c: CatalogEntry): string {
  const parts: string[] = [];
  if (c.appliesTo.podTemplate) parts.push('pod templates');
  if (c.appliesTo.kinds?.length) parts.push(c.appliesTo.kinds.join(', '));
  if (c.appliesTo.inventory) parts.push('whole inventory');
  return parts.join('; ');
}

/** The listing of a set of controls, in catalogue order. */
export function listControls(controls: readonly CatalogEntry[]): ControlListing[] {
  return controls.map((c) => ({
    id: c.id,
    title: c.title,
    severity: c.severity,
    category: c.category,
    appliesTo: appliesToText(c),
    rationale: c.rationale,
    remediation: c.remediation,
    frameworks: c.frameworks.map((f) => ({ id: f.id, control: f.control })),
  }));
}

function refs(c: ControlListing, id: string): string {
  return c.frameworks
    .filter((f) => f.id === id)
    .map((f) => f.control)
    .join(', ');
}

function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The catalogue as Markdown: a summary table, then one section per control. */
export function renderControlsMarkdown(controls: readonly CatalogEntry[]): string {
  const list = listControls(controls);
  const out: string[] = [
    '# Control catalogue',
    '',
    '<!-- Generated from the control declarations by `npm run docs:controls`; do not edit by hand. -->',
    '',
    `${list.length} controls.${
      list.some((c) => c.category === 'pss')
        ? ''
        : ' Pod Security Standards checks (`--framework pss:<level>[@<version>]`) are listed by `palisade controls list --framework pss:restricted`.'
    }`,
    'Selection, scoring and exceptions are described in [frameworks.md](frameworks.md).',
    '',
    '| id | severity | title | ' + FRAMEWORKS.map((f) => f.name).join(' | ') + ' |',
    '| --- | --- | --- | ' + FRAMEWORKS.map(() => '---').join(' | ') + ' |',
  ];
  for (const c of list) {
    out.push(
      `| [\`${c.id}\`](#${anchor(c.id)}) | ${c.severity} | ${cell(c.title)} | ${FRAMEWORKS.map((f) => cell(refs(c, f.id)) || '–').join(' | ')} |`,
    );
  }
  out.push('');
  let category = '';
  for (const c of list) {
    if (c.category !== category) {
      category = c.category;
      out.push(`## ${category}`, '');
    }
    out.push(
      `### ${c.id}`,
      '',
      `**${c.title}** — severity \`${c.severity}\`, applies to ${c.appliesTo}.`,
      '',
      `- Why: ${c.rationale}`,
      `- Fix: ${c.remediation}`,
    );
    for (const f of FRAMEWORKS) {
      const r = refs(c, f.id);
      if (r) out.push(`- ${f.name} ${f.version}: ${r}`);
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function anchor(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9 -]/g, '');
}

/** The catalogue as an aligned plain-text table (id, severity, CIS and MITRE ids, title). */
export function renderControlsTable(controls: readonly CatalogEntry[]): string {
  const list = listControls(controls);
  const rows = list.map((c) => [
    c.id,
    c.severity,
    refs(c, 'cis-1.10') || '-',
    refs(c, 'mitre-attack') || '-',
    c.title,
  ]);
  const head = ['ID', 'SEVERITY', 'CIS', 'MITRE', 'TITLE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line), '', `${list.length} controls`].join('\n')}\n`;
}
