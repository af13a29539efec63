import { SEVERITIES, formatRef } from '../core/index.js';
import type { Finding } from '../core/index.js';
import { describeException } from './build.js';
import { isolationHtmlSection } from './isolation.js';
import type { ScanReport } from './model.js';
import { escapeHtml as e, formatPosition } from './text.js';

/** Value of the namespace filter that selects cluster-scoped objects (no namespace is spelled so). */
export const HTML_CLUSTER_SCOPE = '(cluster)';

// The page must open from a file or an air-gapped mirror: the policy forbids every fetch,
// so a slip that added a remote font or script would show up as a blocked load, not a leak.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

const STYLE = `
:root{--crit:#8b0000;--high:#d32f2f;--med:#ed6c02;--low:#0277bd;--info:#616161;--bg:#fafafa;--fg:#1a1a1a;--line:#ddd}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:24px;background:var(--bg);color:var(--fg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#555;margin-bottom:16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 16px;min-width:110px}
.card b{display:block;font-size:22px}
.sev{display:inline-block;border-radius:4px;padding:1px 6px;color:#fff;font-size:12px;font-weight:600;text-transform:uppercase}
.sev-critical{background:var(--crit)}.sev-high{background:var(--high)}.sev-medium{background:var(--med)}.sev-low{background:var(--low)}.sev-info{background:var(--info)}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit}
th button::after{content:" \\2195";color:#888}
th[aria-sort=ascending] button::after{content:" \\2191"}
th[aria-sort=descending] button::after{content:" \\2193"}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
tr.suppressed td{opacity:.6}
.filters{display:flex;gap:12px;flex-wrap:wrap;align-items:center;margin:8px 0}
.remediation{color:#333;margin-top:4px}
.empty{padding:16px;background:#fff;border:1px solid var(--line);border-radius:6px}
`;

const SCRIPT = `
(function () {
  var ids = ['filter-severity', 'filter-namespace', 'filter-control', 'filter-suppressed'];
  var inputs = ids.map(function (id) { return document.getElementById(id); });
  if (!inputs[0]) return;
  function apply() {
    var sev = inputs[0].value, ns = inputs[1].value, ctl = inputs[2].value, sup = inputs[3].checked;
    var rows = document.querySelectorAll('#findings tbody tr');
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var d = rows[i].dataset;
      var ok = (!sev || d.severity === sev) && (!ns || d.namespace === ns) &&
        (!ctl || d.control === ctl) && (sup || d.suppressed !== 'true');
      rows[i].hidden = !ok;
      if (ok) shown++;
    }
    document.getElementById('shown').textContent = String(shown);
  }
  inputs.forEach(function (el) { el.addEventListener('change', apply); });
  apply();

  // Sortable columns: each header button sorts the rows by its data-* key (numbers as
  // numbers, file:line locations by file then line); a second click reverses the order.
  var table = document.getElementById('findings');
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  var buttons = table.querySelectorAll('thead button[data-sort]');
  for (var b = 0; b < buttons.length; b++) {
    buttons[b].addEventListener('click', function (ev) {
      var button = ev.currentTarget, key = button.getAttribute('data-sort');
      var th = button.parentNode;
      var descending = th.getAttribute('aria-sort') === 'ascending';
      var headers = table.querySelectorAll('thead th');
      for (var h = 0; h < headers.length; h++) headers[h].removeAttribute('aria-sort');
      th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (x, y) {
        var c = collator.compare(x.getAttribute('data-' + key) || '', y.getAttribute('data-' + key) || '');
        return (descending ? -c : c) || Number(x.getAttribute('data-index')) - Number(y.getAttribute('data-index'));
      });
      for (var r = 0; r < rows.length; r++) body.appendChild(rows[r]);
    });
  }
})();
`;

/** Columns of the findings table: header text and the row attribute it sorts by. */
const FINDING_COLUMNS: readonly [string, string][] = [
  ['Severity', 'rank'],
  ['Control', 'control'],
  ['Resource', 'resource'],
  ['Location', 'location'],
  ['Field path', 'field'],
  ['Message', 'message'],
];

function options(values: readonly string[], label: (v: string) => string): string {
  return values.map((v) => `<option value="${e(v)}">${e(label(v))}</option>`).join('');
}

function findingRow(f: Finding, index: number): string {
  const ns = f.resource.namespace ?? HTML_CLUSTER_SCOPE;
  const where = f.location ? formatPosition(f.location) : '';
  const suppressed = f.suppressed
    ? `<div class="remediation"><strong>Suppressed</strong> (${e(f.suppressed.kind)}${f.suppressed.owner ? `, ${e(f.suppressed.owner)}` : ''}${f.suppressed.expires ? `, until ${e(f.suppressed.expires)}` : ''}): ${e(f.suppressed.reason)}</div>`
    : '';
  return [
    `<tr data-index="${index}" data-rank="${SEVERITIES.indexOf(f.severity)}" data-severity="${e(f.severity)}" data-namespace="${e(ns)}" data-control="${e(f.controlId)}" data-resource="${e(formatRef(f.resource))}" data-location="${e(where)}" data-field="${e(f.fieldPath ?? '')}" data-message="${e(f.message)}" data-suppressed="${f.suppressed ? 'true' : 'false'}"${f.suppressed ? ' class="suppressed"' : ''}>`,
    `<td><span class="sev sev-${e(f.severity)}">${e(f.severity)}</span></td>`,
    `<td><code>${e(f.controlId)}</code><br>${e(f.title)}</td>`,
    `<td>${e(formatRef(f.resource))}<br><small>${e(f.resource.apiVersion)}</small></td>`,
    `<td><code>${e(where)}</code></td>`,
    `<td><code>${e(f.fieldPath ?? '')}</code></td>`,
    `<td>${e(f.message)}<div class="remediation"><strong>Fix:</strong> ${e(f.remediation)}</div>${suppressed}</td>`,
    '</tr>',
  ].join('');
}

function summarySection(report: ScanReport): string {
  const s = report.summary;
  const cards = [
    `<div class="card">Resources<b>${s.resources}</b></div>`,
    `<div class="card">Findings<b>${s.findings}</b></div>`,
    ...SEVERITIES.map(
      (sev) =>
        `<div class="card"><span class="sev sev-${sev}">${sev}</span><b>${s.bySeverity[sev]}</b></div>`,
    ),
    `<div class="card">Suppressed<b>${s.suppressed ?? 0}</b></div>`,
    `<div class="card">Input errors<b>${s.inputErrors}</b></div>`,
  ];
  return `<section id="summary"><h2>Summary</h2><div class="cards">${cards.join('')}</div></section>`;
}

/** The failed controls of a framework, collapsed behind their count (a wall of ids otherwise). */
function failedControlsCell(ids: readonly string[]): string {
  if (ids.length === 0) return '';
  return `<details><summary>${ids.length} control${ids.length === 1 ? '' : 's'}</summary>${ids.map((id) => e(id)).join(', ')}</details>`;
}

function scoresSection(report: ScanReport): string {
  if (!report.scores || report.scores.length === 0) return '';
  const rows = report.scores
    .map(
      (s) =>
        `<tr><td>${e(s.framework)}</td><td>${s.score}%</td><td>${s.passed}</td><td>${s.failed}</td><td>${s.applicable}</td><td>${failedControlsCell(s.failedControls ?? [])}</td></tr>` +
        (s.groups ?? [])
          .filter((g) => g.applicable > 0)
          .map(
            (g) =>
              `<tr class="group"><td>&nbsp;&nbsp;${e(g.name)}</td><td>${g.score}%</td><td>${g.passed}</td><td>${g.failed}</td><td>${g.applicable}</td><td></td></tr>`,
          )
          .join(''),
    )
    .join('');
  return `<section id="scores"><h2>Compliance scores</h2><table><thead><tr><th>Framework</th><th>Score</th><th>Passed</th><th>Failed</th><th>Applicable</th><th>Failed controls</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function imagesSection(report: ScanReport): string {
  const images = report.images;
  if (!images) return '';
  const rows = images.notScanned
    .map(
      (n) =>
        `<tr><td><code>${e(n.image)}</code></td><td><code>${e(n.digest ?? '')}</code></td><td>${n.containers}</td><td>${e(n.reason)}</td></tr>`,
    )
    .join('');
  const table =
    rows === ''
      ? ''
      : `<table><thead><tr><th>Not scanned</th><th>Digest</th><th>Containers</th><th>Why</th></tr></thead><tbody>${rows}</tbody></table>`;
  return `<section id="images"><h2>Images</h2><p>${images.references} image references in ${images.containers} containers, ${images.digests} digests: ${images.scanned} scanned, ${images.notScanned.length} not scanned; ${images.vulnerabilities} vulnerabilities${images.severity === 'info' ? '' : ` at or above ${e(images.severity)}`}.</p>${table}</section>`;
}

function exceptionsSection(report: ScanReport): string {
  const x = report.exceptions;
  if (!x) return '';
  const items = [
    ...x.expired.map(
      (i) => `<li><strong>expired</strong> (no longer applied): ${e(describeException(i))}</li>`,
    ),
    ...x.unused.map((i) => `<li><strong>unused</strong> (matched nothing): ${e(describeException(i))}</li>`),
    ...x.ignoredAnnotations.map(
      (a) =>
        `<li><strong>annotation ignored</strong> (needs --allow-annotation-exceptions): ${e(`${a.controlId} on ${formatRef(a.resource)}`)}</li>`,
    ),
  ];
  if (items.length === 0) return '';
  return `<section id="exceptions"><h2>Exceptions</h2><ul>${items.join('')}</ul></section>`;
}

function findingsSection(report: ScanReport): string {
  if (report.findings.length === 0) {
    return `<section id="findings-section"><h2>Findings</h2><p class="empty">No findings in ${report.summary.resources} resources.</p></section>`;
  }
  const namespaces = [
    ...new Set(report.findings.map((f) => f.resource.namespace ?? HTML_CLUSTER_SCOPE)),
  ].sort();
  const controls = [...new Set(report.findings.map((f) => f.controlId))].sort();
  const filters = [
    '<div class="filters">',
    `<label>Severity <select id="filter-severity"><option value="">all</option>${options(SEVERITIES, (v) => v)}</select></label>`,
    `<label>Namespace <select id="filter-namespace"><option value="">all</option>${options(namespaces, (v) => v)}</select></label>`,
    `<label>Control <select id="filter-control"><option value="">all</option>${options(controls, (v) => v)}</select></label>`,
    '<label><input type="checkbox" id="filter-suppressed" checked> show suppressed</label>',
    `<span><span id="shown">${report.findings.length}</span> of ${report.findings.length} shown</span>`,
    '</div>',
  ].join('');
  const head = `<thead><tr>${FINDING_COLUMNS.map(
    ([label, key]) =>
      `<th${key === 'rank' ? ' aria-sort="ascending"' : ''}><button type="button" data-sort="${key}" title="Sort by ${label.toLowerCase()}">${label}</button></th>`,
  ).join('')}</tr></thead>`;
  // Most severe first; within a severity, the order the objects were read in (stable sort).
  const ordered = [...report.findings].sort(
    (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity),
  );
  const body = ordered.map(findingRow).join('\n');
  return `<section id="findings-section"><h2>Findings</h2>${filters}<table id="findings">${head}<tbody>\n${body}\n</tbody></table></section>`;
}

function inputErrorsSection(report: ScanReport): string {
  if (report.inputErrors.length === 0) return '';
  const items = report.inputErrors
    .map((i) => `<li><code>${e(formatPosition(i))}</code>: ${e(i.message)}</li>`)
    .join('');
  return `<section id="input-errors"><h2>Input errors</h2><ul>${items}</ul></section>`;
}

function controlsSection(report: ScanReport): string {
  const used = new Set(report.findings.map((f) => f.controlId));
  const controls = (report.controls ?? []).filter((c) => used.has(c.id));
  if (controls.length === 0) return '';
  const items = controls.map((c) => {
    const frameworks = c.frameworks.map((fw) => `${fw.id} ${fw.control}`).join(', ');
    // Only web links become anchors: a `javascript:` URI in control metadata must stay text.
    const link =
      c.helpUri && /^https?:\/\//.test(c.helpUri)
        ? ` <a href="${e(c.helpUri)}" rel="noopener noreferrer">docs</a>`
        : '';
    return `<details><summary><code>${e(c.id)}</code> ${e(c.title)} <span class="sev sev-${e(c.severity)}">${e(c.severity)}</span></summary><p>${e(c.rationale)}</p><p><strong>Remediation:</strong> ${e(c.remediation)}</p>${frameworks ? `<p><strong>Frameworks:</strong> ${e(frameworks)}</p>` : ''}${link}</details>`;
  });
  return `<section id="controls"><h2>Controls</h2>${items.join('\n')}</section>`;
}

/** Renders the report as one self-contained HTML page (inline CSS and JS, no network loads). */
export function renderHtml(report: ScanReport): string {
  const tool = report.tool ? `${report.tool.name} ${report.tool.version}` : 'palisade';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Palisade scan report</title>',
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<h1>Palisade scan report</h1>',
    `<div class="meta">${e(tool)}</div>`,
    summarySection(report),
    scoresSection(report),
    isolationHtmlSection(report),
    imagesSection(report),
    exceptionsSection(report),
    findingsSection(report),
    inputErrorsSection(report),
    controlsSection(report),
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
