import type { ReactNode } from 'react';

/** One column of a table: how to show a row, and the key it sorts by (absent: not sortable). */
export interface Column<Row> {
  key: string;
  header: string;
  render: (row: Row) => ReactNode;
  /** Value compared when sorting on the client; tables sorted by the server leave it out. */
  sortValue?: (row: Row) => string | number;
  sortable?: boolean;
  className?: string;
}

/** A sort as written in the URL: `col` ascending, `-col` descending. */
export interface SortState {
  key: string;
  desc: boolean;
}

/** Reads `sort=-col` into a sort state. */
export function parseSort(value: string, fallback: SortState): SortState {
  if (value === '') return fallback;
  return value.startsWith('-') ? { key: value.slice(1), desc: true } : { key: value, desc: false };
}

/** Writes a sort state as `col` or `-col`. */
export function formatSort(sort: SortState): string {
  return sort.desc ? `-${sort.key}` : sort.key;
}

/** Sorts rows on the client by the column's sort value; stable, ties keep input order. */
export function sortRows<Row>(rows: readonly Row[], columns: readonly Column<Row>[], sort: SortState): Row[] {
  const col = columns.find((c) => c.key === sort.key);
  const value = col?.sortValue;
  if (!value) return [...rows];
  const dir = sort.desc ? -1 : 1;
  return rows
    .map((row, i) => ({ row, i, v: value(row) }))
    .sort((a, b) => {
      if (a.v < b.v) return -dir;
      if (a.v > b.v) return dir;
      return a.i - b.i;
    })
    .map((x) => x.row);
}

interface TableProps<Row> {
  /** Accessible name of the table. */
  caption: string;
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  sort: SortState;
  onSort: (next: SortState) => void;
  empty?: ReactNode;
  /** Shown under a row when it is expanded. */
  detail?: (row: Row) => ReactNode;
  expanded?: string;
  onToggle?: (key: string) => void;
  testId?: string;
}

/**
 * A table whose headers are buttons: click or Enter/Space sorts by that column, again to
 * reverse; `aria-sort` tells screen readers. Sorting itself is the caller's (client or server).
 */
export function DataTable<Row>(props: TableProps<Row>): ReactNode {
  const { caption, columns, rows, rowKey, sort, onSort } = props;
  return (
    <div className="table-wrap">
      <table data-testid={props.testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const sortable = c.sortable ?? c.sortValue !== undefined;
              const active = sort.key === c.key;
              const ariaSort = active ? (sort.desc ? 'descending' : 'ascending') : 'none';
              return (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={sortable ? ariaSort : undefined}
                  className={c.className}
                >
                  {sortable ? (
                    <button
                      type="button"
                      className="sort"
                      data-sort-key={c.key}
                      onClick={() => {
                        onSort({ key: c.key, desc: active ? !sort.desc : false });
                      }}
                    >
                      {c.header}
                      <span aria-hidden="true" className="sort-mark">
                        {active ? (sort.desc ? '▼' : '▲') : '↕'}
                      </span>
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="empty">
                {props.empty ?? 'Nothing to show.'}
              </td>
            </tr>
          ) : (
            rows.map((row) => {
              const key = rowKey(row);
              const open = props.expanded === key;
              return [
                <tr key={key} className={open ? 'open' : undefined}>
                  {columns.map((c) => (
                    <td key={c.key} className={c.className}>
                      {c.render(row)}
                    </td>
                  ))}
                </tr>,
                open && props.detail ? (
                  <tr key={`${key}/detail`} className="detail">
                    <td colSpan={columns.length}>{props.detail(row)}</td>
                  </tr>
                ) : null,
              ];
            })
          )}
        </tbody>
      </table>
    </div>
  );
}
