import { useMemo, useState, type ReactNode, type SyntheticEvent } from 'react';
import { apiPath, apiRequest, ApiError, useApi } from '../api.js';
import { Load, SelectFilter } from '../components/common.js';
import { Graph } from '../components/graph.js';
import { reachabilityLayout } from '../model.js';
import { DataTable, formatSort, parseSort, sortRows, type Column } from '../components/table.js';
import { useParams } from '../router.js';
import type { NetpolDiffResponse, NetworkGraphResponse } from '../types.js';

type Connection = NetworkGraphResponse['edges'][number];
type Diff = NetpolDiffResponse['diffs'][number];

/** Beyond these the SVG would be unreadable and slow to draw; the tables still list everything. */
const MAX_DRAWN_NODES = 400;
const MAX_DRAWN_EDGES = 4000;
/** Rows of the connections table rendered at once (sorted first, so the cut is the same each time). */
const MAX_TABLE_ROWS = 1000;

const CONNECTION_COLUMNS: Column<Connection>[] = [
  { key: 'src', header: 'From', render: (c) => c.src, sortValue: (c) => c.src },
  { key: 'dst', header: 'To', render: (c) => c.dst, sortValue: (c) => c.dst },
  { key: 'conn', header: 'Allowed', render: (c) => c.conn, sortValue: (c) => c.conn },
];

const DIFF_COLUMNS: Column<Diff>[] = [
  { key: 'change', header: 'Change', render: (d) => d.change, sortValue: (d) => d.change },
  { key: 'src', header: 'From', render: (d) => d.src, sortValue: (d) => d.src },
  { key: 'dst', header: 'To', render: (d) => d.dst, sortValue: (d) => d.dst },
  { key: 'before', header: 'Before', render: (d) => d.before, sortValue: (d) => d.before },
  { key: 'after', header: 'After', render: (d) => d.after, sortValue: (d) => d.after },
  {
    key: 'exposure',
    header: 'New exposure',
    render: (d) => (d.newExposure ? <strong className="sev-high">yes</strong> : 'no'),
    sortValue: (d) => (d.newExposure ? 1 : 0),
  },
  {
    key: 'why',
    header: 'Because of',
    render: (d) =>
      d.attribution.map((a) => a.description + (a.location ? ` (${a.location})` : '')).join('; '),
  },
];

function ProposedChange(): ReactNode {
  const [yaml, setYaml] = useState('');
  const [result, setResult] = useState<NetpolDiffResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { get, set } = useParams();
  const sort = parseSort(get('dsort'), { key: 'change', desc: false });
  const submit = (e: SyntheticEvent<HTMLFormElement>): void => {
    e.preventDefault();
    if (yaml.trim() === '') {
      setError('Paste one or more NetworkPolicy manifests.');
      return;
    }
    setBusy(true);
    setError(null);
    apiRequest<NetpolDiffResponse>('POST', '/api/v1/network/diff', { manifests: yaml }).then(
      (r) => {
        setBusy(false);
        setResult(r);
      },
      (err: unknown) => {
        setBusy(false);
        setResult(null);
        setError(err instanceof ApiError ? err.message : 'The impact could not be computed.');
      },
    );
  };
  return (
    <section className="panel wide" aria-labelledby="diff-title">
      <h2 id="diff-title">Impact of a proposed change</h2>
      <form onSubmit={submit} className="stack" data-testid="netpol-diff-form">
        <label htmlFor="diff-yaml">NetworkPolicy manifests to add or replace (YAML)</label>
        <textarea
          id="diff-yaml"
          name="manifests"
          rows={8}
          spellCheck={false}
          value={yaml}
          onChange={(e) => {
            setYaml(e.target.value);
          }}
        />
        <div>
          <button type="submit" className="primary" disabled={busy}>
            Show the impact
          </button>
        </div>
      </form>
      {error !== null ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {result ? (
        <>
          <p role="status" data-testid="diff-summary">
            {result.added} connections added, {result.removed} removed, {result.changed} changed;{' '}
            {result.newExposure} newly exposed.
          </p>
          {result.issues.length > 0 ? (
            <ul className="error">
              {result.issues.map((i, n) => (
                <li key={n}>
                  {i.where}: {i.message}
                </li>
              ))}
            </ul>
          ) : null}
          <DataTable
            caption="Connections the change would alter"
            testId="diff-table"
            columns={DIFF_COLUMNS}
            rows={sortRows(result.diffs, DIFF_COLUMNS, sort)}
            rowKey={(d) => `${d.src}>${d.dst}`}
            sort={sort}
            onSort={(s) => {
              set({ dsort: formatSort(s) });
            }}
            empty="The change alters no connection."
          />
        </>
      ) : null}
    </section>
  );
}

function NetworkBody({ data }: { data: NetworkGraphResponse }): ReactNode {
  const { get, set } = useParams();
  const layout = useMemo(() => reachabilityLayout(data), [data]);
  const sort = parseSort(get('sort'), { key: 'src', desc: false });
  return (
    <>
      <section className="panel wide" aria-labelledby="reach-title">
        <h2 id="reach-title">Reachability</h2>
        {data.nodes.length === 0 ? (
          <p className="muted">No workloads in this selection.</p>
        ) : data.nodes.length > MAX_DRAWN_NODES || data.edges.length > MAX_DRAWN_EDGES ? (
          <p className="muted" data-testid="network-graph-too-large">
            {data.nodes.length} workloads and {data.edges.length} connections are too many to draw; choose a
            namespace above. The tables below list them all.
          </p>
        ) : (
          <Graph
            title="Which workloads can reach which"
            testId="network-graph"
            nodes={layout.nodes}
            edges={layout.edges}
            groups={layout.groups}
            description="Columns are namespaces; external address ranges are on the left. The connections table lists every arrow."
          />
        )}
        {data.truncated ? <p className="muted">The graph was cut; filter by namespace to see all.</p> : null}
      </section>
      <section className="panel" aria-labelledby="exposure-title">
        <h2 id="exposure-title">External exposure</h2>
        {data.exposure.length === 0 ? (
          <p className="muted">No workload is reachable from outside the cluster.</p>
        ) : (
          <ul className="plain" data-testid="exposure">
            {data.exposure.map((x) => (
              <li key={`${x.workload}<${x.from}`}>
                <strong>{x.workload}</strong> from {x.from}: {x.conn}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel" aria-labelledby="gaps-title">
        <h2 id="gaps-title">Default-deny gaps</h2>
        {data.gaps.length === 0 ? (
          <p className="muted">Every namespace denies by default in both directions.</p>
        ) : (
          <ul className="plain" data-testid="gaps">
            {data.gaps.map((g) => (
              <li key={`${g.namespace}/${g.direction}`}>
                <strong>{g.namespace}</strong> has no default-deny {g.direction}
                {g.workloads.length > 0 ? `: ${g.workloads.join(', ')} unisolated` : ''}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel wide" aria-labelledby="conn-title">
        <h2 id="conn-title">Allowed connections</h2>
        <DataTable
          caption="Allowed connections"
          testId="connections-table"
          columns={CONNECTION_COLUMNS}
          rows={sortRows(data.edges, CONNECTION_COLUMNS, sort).slice(0, MAX_TABLE_ROWS)}
          rowKey={(c) => `${c.src}>${c.dst}`}
          sort={sort}
          onSort={(s) => {
            set({ sort: formatSort(s) });
          }}
          empty="No connection is allowed."
        />
        {data.edges.length > MAX_TABLE_ROWS ? (
          <p className="muted">
            Showing {MAX_TABLE_ROWS} of {data.edges.length} connections in this order; choose a namespace or
            sort differently to see others.
          </p>
        ) : null}
        <p className="muted">Source: {data.source}</p>
      </section>
    </>
  );
}

/** Network: reachability graph, exposure, default-deny gaps and the impact of a change. */
export function NetworkPage(): ReactNode {
  const { get, set } = useParams();
  const all = useApi<NetworkGraphResponse>(apiPath('network/graph'));
  const ns = get('namespace');
  const graph = useApi<NetworkGraphResponse>(apiPath('network/graph', { namespace: ns }));
  const namespaces = all.state === 'ok' ? all.data.namespaces.map((n) => n.name) : [];
  return (
    <>
      <h1>Network</h1>
      <div className="filters">
        <SelectFilter
          label="Namespace"
          name="namespace"
          value={ns}
          options={namespaces}
          onChange={(v) => {
            set({ namespace: v });
          }}
        />
      </div>
      <div className="grid">
        <Load value={graph}>{(data) => <NetworkBody data={data} />}</Load>
        <ProposedChange />
      </div>
    </>
  );
}
