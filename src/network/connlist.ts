/**
 * np-guard's connlist notation: one line per allowed connection, `src => dst : conns`,
 * sorted by source then destination; renderers for text, JSON, CSV, DOT and HTML.
 */
import { csvCell } from '../core/index.js';
import { parseConnSet, type ConnSet } from './conn-set.js';
import type { Analysis } from './engine.js';

/** One line of a connection list. */
export interface ConnLine {
  src: string;
  dst: string;
  conn: ConnSet;
}

/**
 * The connection lines of an analysis in np-guard's order (source name, then destination
 * name), produced one source row at a time so they can be written as they come.
 */
export function* connLines(analysis: Analysis, keep?: (line: ConnLine) => boolean): Generator<ConnLine> {
  const names = Array.from({ length: analysis.size }, (_, i) => analysis.nameOf(i));
  for (const row of analysis.rows(analysis.nameOrder())) {
    const src = names[row.src] as string;
    for (let i = 0; i < row.dsts.length; i++) {
      const line = { src, dst: names[row.dsts[i] as number] as string, conn: row.conns[i] as ConnSet };
      if (!keep || keep(line)) yield line;
    }
  }
}

/** Builds the sorted connection list of an analysis, keeping only lines the filter accepts. */
export function connList(analysis: Analysis, keep?: (line: ConnLine) => boolean): ConnLine[] {
  return [...connLines(analysis, keep)];
}

function compareLines(a: ConnLine, b: ConnLine): number {
  return a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0;
}

/** Merges sorted line sequences into one sorted sequence (ties keep the first sequence first). */
export function* mergeLines(a: Iterable<ConnLine>, b: readonly ConnLine[]): Generator<ConnLine> {
  let j = 0;
  for (const line of a) {
    while (j < b.length && compareLines(b[j] as ConnLine, line) < 0) yield b[j++] as ConnLine;
    yield line;
  }
  while (j < b.length) yield b[j++] as ConnLine;
}

/** Sorts lines by source then destination (plain string order, as np-guard does). */
export function sortLines(lines: ConnLine[]): ConnLine[] {
  return lines.sort(compareLines);
}

/** Formats lines as np-guard's txt output. */
export function formatConnListText(lines: readonly ConnLine[]): string {
  return lines.map((l) => `${l.src} => ${l.dst} : ${l.conn.toString()}\n`).join('');
}

/** Parses np-guard's txt output; lines that are not connections are returned as `skipped`. */
export function parseConnListText(text: string): { lines: ConnLine[]; skipped: string[] } {
  const lines: ConnLine[] = [];
  const skipped: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(.+?) => (.+?) : (.+)$/.exec(line);
    const conn = m ? parseConnSet(m[3] ?? '') : undefined;
    if (!m || !conn) {
      skipped.push(line);
      continue;
    }
    lines.push({ src: m[1] ?? '', dst: m[2] ?? '', conn });
  }
  return { lines, skipped };
}

/** A CSV cell: control characters and spreadsheet formula prefixes neutralised (see csvCell). */
function csvField(s: string): string {
  return csvCell(s);
}

/** JSON output: `[{src, dst, conn}]`, as np-guard's `-o json`. */
export function formatConnListJson(lines: readonly ConnLine[]): string {
  return `${JSON.stringify(
    lines.map((l) => ({ src: l.src, dst: l.dst, conn: l.conn.toString() })),
    null,
    2,
  )}\n`;
}

/** CSV output with a `src,dst,conn` header. */
export function formatConnListCsv(lines: readonly ConnLine[]): string {
  return `src,dst,conn\n${lines.map((l) => `${csvField(l.src)},${csvField(l.dst)},${csvField(l.conn.toString())}\n`).join('')}`;
}

/** Formats that can be written line by line, as the lines are produced. */
export type StreamFormat = 'text' | 'json' | 'csv';

/**
 * Writes lines in a streamable format as they come, in chunks of about `chunkSize`
 * characters; the output equals `formatConnListText`/`Json`/`Csv` of the same lines.
 */
export function writeConnList(
  format: StreamFormat,
  lines: Iterable<ConnLine>,
  write: (chunk: string) => void,
  chunkSize = 1 << 16,
): number {
  let buf = format === 'csv' ? 'src,dst,conn\n' : '';
  let count = 0;
  for (const l of lines) {
    const conn = l.conn.toString();
    if (format === 'text') buf += `${l.src} => ${l.dst} : ${conn}\n`;
    else if (format === 'csv') buf += `${csvField(l.src)},${csvField(l.dst)},${csvField(conn)}\n`;
    else
      buf += `${count === 0 ? '[\n' : ',\n'}  {\n    "src": ${JSON.stringify(l.src)},\n    "dst": ${JSON.stringify(l.dst)},\n    "conn": ${JSON.stringify(conn)}\n  }`;
    count++;
    if (buf.length >= chunkSize) {
      write(buf);
      buf = '';
    }
  }
  if (format === 'json') buf += count === 0 ? '[]\n' : '\n]\n';
  if (buf !== '') write(buf);
  return count;
}

function namespaceOf(peer: string): string | undefined {
  const i = peer.indexOf('/');
  return i > 0 && peer.endsWith(']') && !peer.endsWith('[External]') ? peer.slice(0, i) : undefined;
}

function dotId(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Edge colours of tagged graphs (observed traffic against policy). */
const TAG_COLOURS: Readonly<Record<string, string>> = {
  allowed: '#2a8a3a',
  denied: '#d33',
  'partly denied': '#e07b00',
  gap: '#9aa',
  observed: '#3366cc',
};

function tagColour(tag: string | undefined): string | undefined {
  return tag === undefined ? undefined : (TAG_COLOURS[tag] ?? '#555');
}

/**
 * Graphviz DOT output, peers grouped by namespace, external ranges outside any group.
 * `tags` (one per line) colour the edges and name them in the label (`gap` edges dashed).
 */
export function formatConnListDot(lines: readonly ConnLine[], tags?: readonly string[]): string {
  const peers = [...new Set(lines.flatMap((l) => [l.src, l.dst]))].sort();
  const byNs = new Map<string, string[]>();
  const others: string[] = [];
  for (const p of peers) {
    const ns = namespaceOf(p);
    if (ns === undefined) others.push(p);
    else byNs.set(ns, [...(byNs.get(ns) ?? []), p]);
  }
  const out = ['digraph {'];
  for (const [ns, list] of [...byNs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(`\tsubgraph ${dotId(`cluster_${ns}`)} {`);
    for (const p of list)
      out.push(`\t\t${dotId(p)} [label=${dotId(p.slice(ns.length + 1))} color="blue" fontcolor="blue"]`);
    out.push(`\t\tlabel=${dotId(ns)}`, '\t}');
  }
  for (const p of others) out.push(`\t${dotId(p)} [label=${dotId(p)} color="red2" fontcolor="red2"]`);
  lines.forEach((l, i) => {
    const tag = tags?.[i];
    const colour = tagColour(tag);
    out.push(
      colour === undefined
        ? `\t${dotId(l.src)} -> ${dotId(l.dst)} [label=${dotId(l.conn.toString())} color="gold2" fontcolor="darkgreen"]`
        : `\t${dotId(l.src)} -> ${dotId(l.dst)} [label=${dotId(`${l.conn.toString()} (${tag ?? ''})`)} color="${colour}" fontcolor="${colour}"${tag === 'gap' ? ' style="dashed"' : ''}]`,
    );
  });
  out.push('}');
  return `${out.join('\n')}\n`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A self-contained HTML page: an interactive graph (drag nodes, click one to highlight its
 * connections) drawn on a canvas by inline script, plus the connection table. No network use.
 */
export function formatConnListHtml(
  lines: readonly ConnLine[],
  title = 'Palisade network reachability',
  options: { tags?: readonly string[]; summary?: string } = {},
): string {
  const { tags } = options;
  const data = JSON.stringify(
    lines.map((l, i) => ({
      s: l.src,
      d: l.dst,
      c: l.conn.toString(),
      ...(tags?.[i] !== undefined ? { k: tagColour(tags[i]), g: tags[i] === 'gap' } : {}),
    })),
  ).replace(/</g, '\\u003c');
  const rows = lines
    .map(
      (l, i) =>
        `<tr><td>${escapeHtml(l.src)}</td><td>${escapeHtml(l.dst)}</td><td>${escapeHtml(l.conn.toString())}</td>${tags ? `<td>${escapeHtml(tags[i] ?? '')}</td>` : ''}</tr>`,
    )
    .join('\n');
  const summary = options.summary ?? `${lines.length} allowed connection(s).`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1rem;color:#1b1f24}
canvas{border:1px solid #ccd;width:100%;height:560px;cursor:grab}
table{border-collapse:collapse;margin-top:1rem;font-size:.9rem}td,th{border:1px solid #dde;padding:.2rem .5rem;text-align:left}
#info{min-height:1.4rem;margin:.5rem 0}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(summary)} Drag a node to move it; click a node to highlight its connections.</p>
<div id="info"></div>
<canvas id="graph" width="1200" height="560"></canvas>
<table><thead><tr><th>src</th><th>dst</th><th>conn</th>${tags ? '<th>status</th>' : ''}</tr></thead><tbody>
${rows}
</tbody></table>
<script>
const edges = ${data};
const names = [...new Set(edges.flatMap(e => [e.s, e.d]))].sort();
const cv = document.getElementById('graph'), ctx = cv.getContext('2d'), info = document.getElementById('info');
const groups = [...new Set(names.map(n => n.includes('[External]') ? '(external)' : n.split('/')[0]))];
const nodes = names.map((n, i) => {
  const g = groups.indexOf(n.includes('[External]') ? '(external)' : n.split('/')[0]);
  const a = 2 * Math.PI * i / Math.max(1, names.length);
  return { n, g, x: 600 + 240 * Math.cos(a) + 40 * Math.cos(g), y: 280 + 220 * Math.sin(a) + 40 * Math.sin(g) };
});
const byName = new Map(nodes.map(n => [n.n, n]));
let selected = null, dragging = null;
function draw() {
  ctx.clearRect(0, 0, cv.width, cv.height);
  for (const e of edges) {
    const a = byName.get(e.s), b = byName.get(e.d);
    const on = !selected || selected === e.s || selected === e.d;
    ctx.strokeStyle = on ? (e.k || '#c9a100') : '#eee'; ctx.lineWidth = on ? 1.5 : 1;
    ctx.setLineDash(e.g ? [5, 4] : []);
    ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke(); ctx.setLineDash([]);
    const t = Math.atan2(b.y - a.y, b.x - a.x), hx = b.x - 9 * Math.cos(t), hy = b.y - 9 * Math.sin(t);
    ctx.beginPath(); ctx.moveTo(hx, hy); ctx.lineTo(hx - 8 * Math.cos(t - .4), hy - 8 * Math.sin(t - .4));
    ctx.lineTo(hx - 8 * Math.cos(t + .4), hy - 8 * Math.sin(t + .4)); ctx.fillStyle = ctx.strokeStyle; ctx.fill();
  }
  for (const n of nodes) {
    ctx.fillStyle = n.n.includes('[External]') ? '#d33' : 'hsl(' + (n.g * 67 % 360) + ',60%,45%)';
    ctx.beginPath(); ctx.arc(n.x, n.y, 8, 0, 2 * Math.PI); ctx.fill();
    ctx.fillStyle = '#1b1f24'; ctx.font = '11px system-ui'; ctx.fillText(n.n, n.x + 10, n.y + 4);
  }
}
function at(ev) { const r = cv.getBoundingClientRect(); const x = (ev.clientX - r.left) * cv.width / r.width, y = (ev.clientY - r.top) * cv.height / r.height;
  return { x, y, node: nodes.find(n => (n.x - x) ** 2 + (n.y - y) ** 2 < 100) }; }
cv.addEventListener('mousedown', ev => { const p = at(ev); dragging = p.node || null;
  selected = p.node ? p.node.n : null;
  info.textContent = selected ? edges.filter(e => e.s === selected || e.d === selected).map(e => e.s + ' => ' + e.d + ' : ' + e.c).join('  |  ') : '';
  draw(); });
cv.addEventListener('mousemove', ev => { if (!dragging) return; const p = at(ev); dragging.x = p.x; dragging.y = p.y; draw(); });
addEventListener('mouseup', () => { dragging = null; });
draw();
</script>
</body></html>
`;
}
