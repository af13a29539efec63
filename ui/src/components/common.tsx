import { createContext, useEffect, useState, type ReactNode } from 'react';
import type { Loaded } from '../api.js';

/** The active theme, for components that draw with colours read from CSS (charts). */
export const ThemeContext = createContext<string>('light');

/** Severities from worst to least, the order every list uses. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** Rank of a severity for sorting: critical first. Unknown values sort last. */
export function severityRank(s: string): number {
  const i = (SEVERITIES as readonly string[]).indexOf(s);
  return i === -1 ? SEVERITIES.length : i;
}

/** A severity as a coloured label (text, not colour alone, carries the meaning). */
export function SeverityBadge({ severity }: { severity: string }): ReactNode {
  return <span className={`sev sev-${severity}`}>{severity}</span>;
}

/** Renders a loaded resource: a spinner line, an error box, or the content. */
export function Load<T>({
  value,
  children,
}: {
  value: Loaded<T>;
  children: (data: T) => ReactNode;
}): ReactNode {
  if (value.state === 'loading')
    return (
      <p className="muted" role="status">
        Loading…
      </p>
    );
  if (value.state === 'error') {
    return (
      <p className="error" role="alert">
        {value.error.status === 0
          ? value.error.message
          : `The server answered ${value.error.status}: ${value.error.message}`}
      </p>
    );
  }
  return children(value.data);
}

/** A timestamp as local date and time, with the ISO value in a tooltip. */
export function When({ at }: { at: string | number | null | undefined }): ReactNode {
  if (at === null || at === undefined || at === '') return <span className="muted">–</span>;
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return <span>{String(at)}</span>;
  return (
    <time dateTime={d.toISOString()} title={d.toISOString()}>
      {d.toLocaleString()}
    </time>
  );
}

/** A labelled `<select>` whose choices include "any" (the empty value). */
export function SelectFilter(props: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (v: string) => void;
  name: string;
  /** What the empty choice is called (default "any"). */
  anyLabel?: string;
}): ReactNode {
  return (
    <label>
      {props.label}
      <select
        name={props.name}
        value={props.value}
        onChange={(e) => {
          props.onChange(e.target.value);
        }}
      >
        <option value="">{props.anyLabel ?? 'any'}</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A search box that writes to the URL when the user pauses (300 ms) or presses Enter. */
export function SearchBox(props: {
  label: string;
  name: string;
  placeholder: string;
  value: string;
  onChange: (v: string) => void;
}): ReactNode {
  const [text, setText] = useState(props.value);
  useEffect(() => {
    setText(props.value);
  }, [props.value]);
  useEffect(() => {
    if (text === props.value) return undefined;
    const t = window.setTimeout(() => {
      props.onChange(text);
    }, 300);
    return () => {
      window.clearTimeout(t);
    };
  }, [text, props]);
  return (
    <label>
      {props.label}
      <input
        type="search"
        name={props.name}
        value={text}
        placeholder={props.placeholder}
        maxLength={200}
        onChange={(e) => {
          setText(e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') props.onChange(text);
        }}
      />
    </label>
  );
}
