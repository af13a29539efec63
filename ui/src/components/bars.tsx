import type { ReactNode } from 'react';

/** One bar: a label, a count, and an optional link and CSS kind (e.g. a severity). */
export interface Bar {
  label: string;
  value: number;
  href?: string;
  kind?: string;
}

/**
 * Horizontal bars in SVG (widths are attributes, not styles). Each label links to the
 * filtered findings when `href` is given, so the chart is also navigation.
 */
export function BarList(props: { title: string; bars: Bar[]; testId?: string }): ReactNode {
  const max = Math.max(1, ...props.bars.map((b) => b.value));
  return (
    <ul className="bars" aria-label={props.title} data-testid={props.testId}>
      {props.bars.map((b) => (
        <li key={b.label}>
          <span className="bar-label">{b.href ? <a href={b.href}>{b.label}</a> : b.label}</span>
          <svg className="bar-svg" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
            <rect
              x={0}
              y={1}
              height={8}
              width={(100 * b.value) / max}
              className={`bar${b.kind ? ` sev-${b.kind}` : ''}`}
            />
          </svg>
          <span className="bar-value">{b.value}</span>
        </li>
      ))}
    </ul>
  );
}
