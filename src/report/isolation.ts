/**
 * The namespace isolation section of the table and HTML reports: which namespaces can reach
 * which under the NetworkPolicies (`open`) and which cannot (`isolated`).
 */
import type { ScanReport } from './model.js';
import { escapeHtml, sanitizeTerminal } from './text.js';

/** Namespaces above which the table lists only the open pairs (the grid grows with their square). */
const TABLE_FULL_LIMIT = 12;

/** Lines of the table report's section (empty when the report has no summary). */
export function isolationTableLines(report: ScanReport, indent: string): string[] {
  const s = report.networkIsolation;
  if (!s || s.namespaces.length < 2) return [];
  if (s.omitted !== undefined) return [`${indent}not computed: ${sanitizeTerminal(s.omitted)}`];
  const open = s.pairs.filter((p) => p.status === 'open');
  const shown = s.namespaces.length <= TABLE_FULL_LIMIT ? s.pairs : open;
  const width = Math.max(...shown.map((p) => p.from.length + p.to.length + 3), 0);
  const out = shown.map(
    (p) =>
      `${indent}${sanitizeTerminal(`${p.from} → ${p.to}`).padEnd(width)}  ${p.status.padEnd(8)}${p.example ? `  e.g. ${sanitizeTerminal(p.example)}` : ''}`,
  );
  out.push(
    `${indent}${open.length} of ${s.pairs.length} namespace pairs open, ${s.pairs.length - open.length} isolated`,
  );
  return out;
}

/** The HTML report's section: a from × to grid. */
export function isolationHtmlSection(report: ScanReport): string {
  const s = report.networkIsolation;
  if (!s || s.namespaces.length < 2) return '';
  if (s.omitted !== undefined)
    return `<section id="isolation"><h2>Namespace isolation</h2><p>Not computed: ${escapeHtml(s.omitted)}</p></section>`;
  const byPair = new Map(s.pairs.map((p) => [`${p.from}\u0000${p.to}`, p]));
  const head = `<tr><th>from \\ to</th>${s.namespaces.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}</tr>`;
  const rows = s.namespaces
    .map((from) => {
      const cells = s.namespaces.map((to) => {
        if (from === to) return '<td>–</td>';
        const p = byPair.get(`${from}\u0000${to}`);
        if (!p) return '<td></td>';
        return p.status === 'open'
          ? `<td style="background:#fde2e1" title="${escapeHtml(p.example ?? '')}">open</td>`
          : '<td style="background:#e3f4e6">isolated</td>';
      });
      return `<tr><th>${escapeHtml(from)}</th>${cells.join('')}</tr>`;
    })
    .join('');
  const open = s.pairs.filter((p) => p.status === 'open').length;
  return `<section id="isolation"><h2>Namespace isolation</h2><p>${open} of ${s.pairs.length} namespace pairs open (some workload of the row may connect to some workload of the column under the NetworkPolicies); hover a cell for an example.</p><table><thead>${head}</thead><tbody>${rows}</tbody></table></section>`;
}
