import { useEffect, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a time chart: a name and a value per timestamp (null where missing). */
export interface Series {
  label: string;
  values: (number | null)[];
}

const PALETTE_VARS = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6'];

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

interface TimeChartProps {
  title: string;
  /** Unix seconds, ascending. */
  times: number[];
  series: Series[];
  yRange?: [number, number];
  height?: number;
  testId?: string;
  /** Re-draw when the theme changes (colours are read from CSS variables). */
  theme: string;
}

/**
 * A line chart over time drawn by uPlot on a canvas, with the same numbers in a visually
 * hidden table so screen readers and keyboard users get them too.
 */
export function TimeChart(props: TimeChartProps): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  const { times, series, yRange, theme } = props;
  const height = props.height ?? 240;
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const fg = cssVar('--fg-muted', '#555');
    const grid = cssVar('--border', '#ddd');
    const opts: uPlot.Options = {
      width: Math.max(320, el.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: yRange ? { range: yRange } : {} },
      axes: [
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: cssVar(PALETTE_VARS[i % PALETTE_VARS.length] ?? '--c1', '#36c'),
          width: 2,
          points: { show: times.length < 40 },
          spanGaps: true,
        })),
      ],
    };
    const data: uPlot.AlignedData = [times, ...series.map((s) => s.values)];
    const plot = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(320, el.clientWidth), height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [times, series, yRange, height, theme]);
  return (
    <figure className="chart" data-testid={props.testId}>
      <figcaption className="visually-hidden">{props.title}</figcaption>
      <div ref={box} className="chart-canvas" aria-hidden="true" />
      <table className="visually-hidden">
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">time</th>
            {series.map((s) => (
              <th key={s.label} scope="col">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {times.map((t, i) => (
            <tr key={t}>
              <th scope="row">{new Date(t * 1000).toISOString()}</th>
              {series.map((s) => (
                <td key={s.label}>{s.values[i] ?? '–'}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
