import { useId, useMemo, useState, type ReactNode } from 'react';

/** A node of a drawn graph; nodes with the same `group` share a column (or a band). */
export interface GraphNode {
  id: string;
  label: string;
  group: string;
  /** Styling hint: a CSS class suffix (`kind-subject`, `kind-external`, …). */
  kind?: string;
}

/** A directed edge; `label` says why (a binding, a port). */
export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
  kind?: string;
}

interface Placed extends GraphNode {
  x: number;
  y: number;
}

/** Where each node is drawn: one column per group in the given order, rows evenly spaced. */
export function layoutColumns(
  nodes: readonly GraphNode[],
  groups: readonly string[],
  size: { width: number; rowHeight: number; top: number },
): { placed: Placed[]; height: number } {
  const cols = groups.length === 0 ? 1 : groups.length;
  const colWidth = size.width / cols;
  const byGroup = new Map<string, GraphNode[]>();
  for (const g of groups) byGroup.set(g, []);
  for (const n of nodes) {
    const list = byGroup.get(n.group);
    if (list) list.push(n);
  }
  const placed: Placed[] = [];
  let rows = 0;
  groups.forEach((g, i) => {
    const list = byGroup.get(g) ?? [];
    rows = Math.max(rows, list.length);
    list.forEach((n, j) => {
      placed.push({
        ...n,
        x: colWidth * i + colWidth / 2,
        y: size.top + size.rowHeight * j + size.rowHeight / 2,
      });
    });
  });
  return { placed, height: size.top + rows * size.rowHeight + 8 };
}

interface GraphProps {
  title: string;
  nodes: readonly GraphNode[];
  edges: readonly GraphEdge[];
  groups: readonly string[];
  width?: number;
  testId?: string;
  /** Extra description read by screen readers (the SVG is summarised by the table beside it). */
  description?: string;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/**
 * An SVG graph laid out in columns. Nodes are focusable: Tab walks them, focusing (or hovering)
 * one highlights its edges so a path can be followed with the keyboard. Everything is drawn
 * with attributes and classes: no inline styles (the server's CSP forbids them).
 */
export function Graph(props: GraphProps): ReactNode {
  const width = props.width ?? 960;
  const { placed, height } = useMemo(
    () => layoutColumns(props.nodes, props.groups, { width, rowHeight: 44, top: 36 }),
    [props.nodes, props.groups, width],
  );
  const [focus, setFocus] = useState<string | null>(null);
  const at = useMemo(() => new Map(placed.map((p) => [p.id, p])), [placed]);
  const colWidth = width / Math.max(1, props.groups.length);
  const maxChars = Math.max(8, Math.floor(colWidth / 7.5));
  const clipId = `clip-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  return (
    <figure className="graph" data-testid={props.testId}>
      <svg
        viewBox={`0 0 ${width} ${Math.max(height, 80)}`}
        role="group"
        aria-label={`${props.title}: ${props.nodes.length} nodes, ${props.edges.length} edges`}
        className="graph-svg"
      >
        <title>{props.title}</title>
        {props.description ? <desc>{props.description}</desc> : null}
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" className="arrow-head" />
          </marker>
        </defs>
        {props.groups.map((g, i) => (
          <text key={g} x={colWidth * i + colWidth / 2} y={18} className="graph-group" textAnchor="middle">
            {truncate(g, maxChars)}
          </text>
        ))}
        {props.edges.map((e, i) => {
          const a = at.get(e.from);
          const b = at.get(e.to);
          if (!a || !b) return null;
          const hot = focus !== null && (focus === e.from || focus === e.to);
          const dim = focus !== null && !hot;
          const self = a.id === b.id;
          const d = self
            ? `M${a.x - 6},${a.y - 10} C${a.x - 30},${a.y - 40} ${a.x + 30},${a.y - 40} ${a.x + 6},${a.y - 10}`
            : `M${a.x},${a.y} C${(a.x + b.x) / 2},${a.y} ${(a.x + b.x) / 2},${b.y} ${b.x},${b.y}`;
          return (
            <path
              key={`${e.from}->${e.to}#${i}`}
              d={d}
              className={`edge${e.kind ? ` edge-${e.kind}` : ''}${hot ? ' hot' : ''}${dim ? ' dim' : ''}`}
              markerEnd="url(#arrow)"
            >
              {e.label ? <title>{e.label}</title> : null}
            </path>
          );
        })}
        {placed.map((n) => (
          <g
            key={n.id}
            className={`node${n.kind ? ` node-${n.kind}` : ''}${focus === n.id ? ' hot' : ''}`}
            transform={`translate(${n.x},${n.y})`}
            tabIndex={0}
            role="button"
            aria-label={`${n.label}, in ${n.group}`}
            data-node-id={n.id}
            onFocus={() => {
              setFocus(n.id);
            }}
            onBlur={() => {
              setFocus(null);
            }}
            onMouseEnter={() => {
              setFocus(n.id);
            }}
            onMouseLeave={() => {
              setFocus(null);
            }}
          >
            <rect x={-colWidth / 2 + 10} y={-15} width={colWidth - 20} height={30} rx={6} />
            {/* Long labels are clipped, not shortened: the visible text stays part of the accessible name. */}
            <text
              textAnchor={n.label.length > maxChars ? 'start' : 'middle'}
              x={n.label.length > maxChars ? -colWidth / 2 + 14 : 0}
              dy="0.35em"
              clipPath={`url(#${clipId})`}
            >
              {n.label}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}
