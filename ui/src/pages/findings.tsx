import { useState, type ReactNode } from 'react';
import { apiPath, useApi } from '../api.js';
import { Load, SearchBox, SelectFilter, SEVERITIES, SeverityBadge, When } from '../components/common.js';
import { DataTable, formatSort, parseSort, type Column, type SortState } from '../components/table.js';
import { objectName } from '../format.js';
import { groupKeys, GROUPS, type Group } from '../model.js';
import { useParams } from '../router.js';
import type { Finding, FindingSort, FindingsResponse, SummaryResponse } from '../types.js';

const SORTABLE: readonly FindingSort[] = [
  'severity',
  'controlId',
  'namespace',
  'kind',
  'name',
  'firstSeen',
  'lastSeen',
];
const PAGE_SIZE = 50;
/** Grouping works on the rows loaded, so a grouped view loads the largest page the API allows. */
const GROUPED_PAGE_SIZE = 500;

function isSortable(k: string): k is FindingSort {
  return (SORTABLE as readonly string[]).includes(k);
}

function Detail({ f }: { f: Finding }): ReactNode {
  return (
    <dl className="kv" data-testid="finding-detail">
      <dt>Message</dt>
      <dd>{f.message}</dd>
      <dt>Location</dt>
      <dd>{f.location ? <code>{f.location}</code> : <span>live object {objectName(f)}</span>}</dd>
      <dt>Field path</dt>
      <dd>
        <code>{f.fieldPath || '(the object)'}</code>
      </dd>
      <dt>Remediation</dt>
      <dd>{f.remediation ?? '–'}</dd>
      <dt>Frameworks</dt>
      <dd>{f.frameworks.join(', ') || '–'}</dd>
      <dt>Exception</dt>
      <dd>
        {f.exception ? (
          <>
            {f.exception.reason} (owner {f.exception.owner}
            {f.exception.expires ? `, expires ${f.exception.expires}` : ', no expiry'})
          </>
        ) : (
          'none'
        )}
      </dd>
      <dt>First seen</dt>
      <dd>
        <When at={f.firstSeen} />
      </dd>
      <dt>Last seen</dt>
      <dd>
        <When at={f.lastSeen} />
      </dd>
      {f.resolvedAt !== undefined ? (
        <>
          <dt>Resolved</dt>
          <dd>
            <When at={f.resolvedAt} />
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function columns(expanded: string, toggle: (fp: string) => void): Column<Finding>[] {
  return [
    {
      key: 'severity',
      header: 'Severity',
      sortable: true,
      render: (f) => (
        <>
          <SeverityBadge severity={f.severity} />
          {f.suppressed ? <span className="muted"> (excepted)</span> : null}
        </>
      ),
    },
    {
      key: 'controlId',
      header: 'Control',
      sortable: true,
      className: 'control',
      render: (f) => (
        <>
          <button
            type="button"
            className="link-button"
            aria-expanded={expanded === f.fingerprint}
            onClick={() => {
              toggle(f.fingerprint);
            }}
          >
            {f.title}
          </button>
          <code className="control-id">{f.controlId}</code>
        </>
      ),
    },
    { key: 'namespace', header: 'Namespace', sortable: true, render: (f) => f.namespace || '(cluster)' },
    { key: 'kind', header: 'Kind', sortable: true, render: (f) => f.kind },
    { key: 'name', header: 'Name', sortable: true, render: (f) => f.name },
    {
      key: 'where',
      header: 'Where',
      className: 'where',
      render: (f) => <code>{f.location ?? f.fieldPath}</code>,
    },
    { key: 'lastSeen', header: 'Last seen', sortable: true, render: (f) => <When at={f.lastSeen} /> },
  ];
}

/** Findings explorer: every filter, the sort, the page and the grouping live in the URL. */
export function FindingsPage(): ReactNode {
  const { get, set } = useParams();
  const summary = useApi<SummaryResponse>(apiPath('summary'));
  const [expanded, setExpanded] = useState('');
  const sort: SortState = parseSort(get('sort'), { key: 'severity', desc: false });
  const group = (GROUPS as readonly string[]).includes(get('group')) ? (get('group') as Group) : null;
  const offset = Math.max(0, Number.parseInt(get('offset') || '0', 10) || 0);
  const limit = group ? GROUPED_PAGE_SIZE : PAGE_SIZE;
  const path = apiPath('findings', {
    q: get('q'),
    severity: get('severity'),
    namespace: get('namespace'),
    controlId: get('control'),
    kind: get('kind'),
    name: get('name'),
    framework: get('framework'),
    status: get('status'),
    suppressed: get('suppressed') === 'true' ? 'true' : undefined,
    sort: isSortable(sort.key) ? sort.key : 'severity',
    order: sort.desc ? 'desc' : 'asc',
    limit,
    offset: group ? 0 : offset,
  });
  const findings = useApi<FindingsResponse>(path);
  const filter = (key: string) => (v: string) => {
    set({ [key]: v, offset: undefined });
  };
  const namespaces =
    summary.state === 'ok' ? summary.data.byNamespace.map((n) => n.namespace).filter((n) => n !== '') : [];
  const frameworks =
    summary.state === 'ok' && summary.data.scan ? summary.data.scan.scores.map((s) => s.framework) : [];
  const toggle = (fp: string): void => {
    setExpanded((cur) => (cur === fp ? '' : fp));
  };
  const cols = columns(expanded, toggle);
  return (
    <>
      <h1>Findings</h1>
      <form
        className="filters"
        role="search"
        aria-label="Filter findings"
        onSubmit={(e) => {
          e.preventDefault();
        }}
      >
        <SearchBox
          label="Search"
          name="q"
          placeholder="title, message, name, control"
          value={get('q')}
          onChange={filter('q')}
        />
        <SelectFilter
          label="Severity"
          name="severity"
          value={get('severity')}
          options={SEVERITIES}
          onChange={filter('severity')}
        />
        <SelectFilter
          label="Namespace"
          name="namespace"
          value={get('namespace')}
          options={namespaces}
          onChange={filter('namespace')}
        />
        <SelectFilter
          label="Framework"
          name="framework"
          value={get('framework')}
          options={frameworks}
          onChange={filter('framework')}
        />
        <label>
          Control
          <input
            name="control"
            value={get('control')}
            size={12}
            maxLength={200}
            onChange={(e) => {
              filter('control')(e.target.value);
            }}
          />
        </label>
        <label>
          Kind
          <input
            name="kind"
            value={get('kind')}
            size={10}
            maxLength={200}
            onChange={(e) => {
              filter('kind')(e.target.value);
            }}
          />
        </label>
        <label>
          Name
          <input
            name="name"
            value={get('name')}
            size={12}
            maxLength={200}
            onChange={(e) => {
              filter('name')(e.target.value);
            }}
          />
        </label>
        <SelectFilter
          label="Status"
          anyLabel="open"
          name="status"
          value={get('status')}
          options={['resolved', 'all']}
          onChange={filter('status')}
        />
        <SelectFilter
          label="Group by"
          name="group"
          value={get('group')}
          options={GROUPS}
          onChange={filter('group')}
        />
        <label className="inline">
          <input
            type="checkbox"
            name="suppressed"
            checked={get('suppressed') === 'true'}
            onChange={(e) => {
              filter('suppressed')(e.target.checked ? 'true' : '');
            }}
          />
          include excepted
        </label>
      </form>
      <Load value={findings}>
        {(data) => {
          const tableProps = {
            columns: cols,
            rowKey: (f: Finding) => f.fingerprint,
            sort,
            onSort: (s: SortState) => {
              set({ sort: formatSort(s), offset: undefined });
            },
            detail: (f: Finding) => <Detail f={f} />,
            expanded,
            empty: 'No finding matches these filters.',
          };
          const counter = (
            <p className="muted" role="status" data-testid="findings-count">
              {data.total}
              {data.totalExact ? '' : '+'} findings{data.scanId !== null ? ` in scan #${data.scanId}` : ''}
            </p>
          );
          if (group) {
            const groups = new Map<string, Finding[]>();
            for (const f of data.items)
              for (const k of groupKeys(f, group)) {
                const list = groups.get(k);
                if (list) list.push(f);
                else groups.set(k, [f]);
              }
            const ordered = [...groups.entries()].sort(
              (a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]),
            );
            return (
              <>
                {counter}
                {data.total > data.items.length ? (
                  <p className="muted">
                    Grouped over the first {data.items.length}; narrow the filters to see all.
                  </p>
                ) : null}
                {ordered.map(([k, rows]) => (
                  <details key={k} className="group" open={ordered.length <= 6}>
                    <summary>
                      {group === 'severity' ? <SeverityBadge severity={k} /> : <span>{k}</span>}{' '}
                      <span className="muted">({rows.length})</span>
                    </summary>
                    <DataTable caption={`Findings: ${k}`} rows={rows} {...tableProps} />
                  </details>
                ))}
              </>
            );
          }
          const last = Math.min(data.offset + data.items.length, data.total);
          return (
            <>
              {counter}
              <DataTable caption="Findings" testId="findings-table" rows={data.items} {...tableProps} />
              <nav className="pager" aria-label="Pages of findings">
                <button
                  type="button"
                  disabled={offset === 0}
                  onClick={() => {
                    set({ offset: String(Math.max(0, offset - PAGE_SIZE)) });
                  }}
                >
                  Previous
                </button>
                <span>
                  {data.items.length === 0 ? 0 : data.offset + 1}–{last} of {data.total}
                  {data.totalExact ? '' : '+'}
                </span>
                <button
                  type="button"
                  disabled={last >= data.total}
                  onClick={() => {
                    set({ offset: String(offset + PAGE_SIZE) });
                  }}
                >
                  Next
                </button>
              </nav>
            </>
          );
        }}
      </Load>
    </>
  );
}
