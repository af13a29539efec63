import { useMemo, useState, type ReactNode, type SyntheticEvent } from 'react';
import { apiPath, useApi } from '../api.js';
import { Load } from '../components/common.js';
import { Graph } from '../components/graph.js';
import { escalationLayout } from '../model.js';
import { DataTable, formatSort, parseSort, sortRows, type Column } from '../components/table.js';
import { useParams } from '../router.js';
import type {
  RbacGraphResponse,
  UnusedRight,
  UnusedRightsResponse,
  WhoCanResponse,
  WhoCanSubject,
} from '../types.js';

function subjectName(s: WhoCanSubject): string {
  return s.kind === 'ServiceAccount' && s.namespace ? `${s.namespace}/${s.name}` : s.name;
}

const SUBJECT_COLUMNS: Column<WhoCanSubject>[] = [
  { key: 'kind', header: 'Kind', render: (s) => s.kind, sortValue: (s) => s.kind },
  { key: 'subject', header: 'Subject', render: (s) => subjectName(s), sortValue: (s) => subjectName(s) },
  {
    key: 'via',
    header: 'Binding path',
    render: (s) => (
      <ul className="plain">
        {s.via.map((v) => (
          <li key={`${v.binding}>${v.role}`}>
            {v.group ? (
              <>
                member of <code>{v.group}</code> →{' '}
              </>
            ) : null}
            <code>{v.binding}</code> → <code>{v.role}</code>
          </li>
        ))}
      </ul>
    ),
    sortValue: (s) => s.via.length,
  },
];

function WhoCan(): ReactNode {
  const { get, set } = useParams();
  const [form, setForm] = useState({
    verb: get('verb'),
    resource: get('resource'),
    namespace: get('namespace'),
    apiGroup: get('apiGroup'),
  });
  const asked = get('verb') !== '' && get('resource') !== '';
  const result = useApi<WhoCanResponse>(
    asked
      ? apiPath('rbac/who-can', {
          verb: get('verb'),
          resource: get('resource'),
          namespace: get('namespace'),
          apiGroup: get('apiGroup'),
        })
      : null,
  );
  const sort = parseSort(get('sort'), { key: 'subject', desc: false });
  const submit = (e: SyntheticEvent<HTMLFormElement>): void => {
    e.preventDefault();
    set({ ...form, sort: undefined });
  };
  const field = (
    key: keyof typeof form,
    label: string,
    placeholder: string,
    required: boolean,
  ): ReactNode => (
    <label>
      {label}
      <input
        name={key}
        value={form[key]}
        placeholder={placeholder}
        required={required}
        maxLength={128}
        onChange={(e) => {
          setForm({ ...form, [key]: e.target.value });
        }}
      />
    </label>
  );
  return (
    <section className="panel wide" aria-labelledby="whocan-title">
      <h2 id="whocan-title">Who can…</h2>
      <form className="filters" onSubmit={submit} aria-label="Who can query" data-testid="whocan-form">
        {field('verb', 'Verb', 'get, create, *', true)}
        {field('resource', 'Resource', 'secrets, pods/exec', true)}
        {field('namespace', 'Namespace', 'empty: cluster-wide', false)}
        {field('apiGroup', 'API group', 'empty: core', false)}
        <button type="submit" className="primary">
          Ask
        </button>
      </form>
      {asked ? (
        <Load value={result}>
          {(data) => (
            <>
              <p role="status" data-testid="whocan-count">
                {data.subjects.length} subjects can {data.query.verb} {data.query.resource}
                {data.query.namespace ? ` in ${data.query.namespace}` : ' cluster-wide'}
                {data.truncated ? ' (list cut at 1,000)' : ''}; members of {data.privilegedGroups.join(', ')}{' '}
                can do anything.
              </p>
              <DataTable
                caption="Subjects allowed the request"
                testId="whocan-table"
                columns={SUBJECT_COLUMNS}
                rows={sortRows(data.subjects, SUBJECT_COLUMNS, sort)}
                rowKey={(s) => `${s.kind}/${s.namespace ?? ''}/${s.name}`}
                sort={sort}
                onSort={(s) => {
                  set({ sort: formatSort(s) });
                }}
                empty="No subject is allowed this request."
              />
              <p className="muted">Source: {data.source}</p>
            </>
          )}
        </Load>
      ) : (
        <p className="muted">Enter a verb and a resource, for example get secrets in a namespace.</p>
      )}
    </section>
  );
}

function Escalation(): ReactNode {
  const graph = useApi<RbacGraphResponse>(apiPath('rbac/graph'));
  return (
    <section className="panel wide" aria-labelledby="esc-title">
      <h2 id="esc-title">Escalation paths</h2>
      <Load value={graph}>{(data) => <EscalationBody data={data} />}</Load>
    </section>
  );
}

function EscalationBody({ data }: { data: RbacGraphResponse }): ReactNode {
  const layout = useMemo(() => escalationLayout(data), [data]);
  if (data.paths.length === 0)
    return <p className="muted">No identity can reach cluster-admin, a node or an admission bypass.</p>;
  return (
    <>
      {layout.nodes.length > 400 || layout.edges.length > 4000 ? (
        <p className="muted">
          {layout.nodes.length} nodes are too many to draw; the table below lists the paths.
        </p>
      ) : (
        <Graph
          title="RBAC escalation paths"
          testId="escalation-graph"
          nodes={layout.nodes}
          edges={layout.edges}
          groups={layout.groups}
          description="Each arrow is one step an identity can take with the rights it holds; the table below lists every path."
        />
      )}
      <div className="table-wrap">
        <table data-testid="escalation-paths">
          <caption className="visually-hidden">Escalation paths</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Steps</th>
            </tr>
          </thead>
          <tbody>
            {data.paths.slice(0, 100).map((p, i) => (
              <tr key={`${p.from}>${p.to}#${i}`}>
                <td>{p.fromLabel}</td>
                <td>{p.toLabel}</td>
                <td>
                  <ol className="plain">
                    {p.hops.map((h, j) => (
                      <li key={j}>
                        <code>{h.kind}</code> {h.explain}
                      </li>
                    ))}
                  </ol>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data.paths.length > 100 || data.truncated ? (
        <p className="muted">Showing the first 100 paths.</p>
      ) : null}
      <p className="muted">Source: {data.source}</p>
    </>
  );
}

const UNUSED_COLUMNS: Column<UnusedRight>[] = [
  { key: 'subject', header: 'Subject', render: (r) => r.subject, sortValue: (r) => r.subject },
  {
    key: 'scope',
    header: 'Where',
    render: (r) => r.namespace || 'cluster-wide',
    sortValue: (r) => r.namespace,
  },
  { key: 'rule', header: 'Rule', render: (r) => <code>{r.rule}</code>, sortValue: (r) => r.rule },
  {
    key: 'via',
    header: 'Granted by',
    render: (r) => (
      <ul className="plain">
        {r.via.map((v) => (
          <li key={v}>
            <code>{v}</code>
          </li>
        ))}
      </ul>
    ),
    sortValue: (r) => r.via.join(' '),
  },
  {
    key: 'calls',
    header: 'Calls seen',
    render: (r) => (r.calls === 0 ? 'never seen' : String(r.calls)),
    sortValue: (r) => r.calls,
  },
];

/** The rights held that no call of the audit log used (or what enables the list). */
function Unused(): ReactNode {
  const { get, set } = useParams();
  const result = useApi<UnusedRightsResponse>(apiPath('rbac/unused', {}));
  const sort = parseSort(get('unusedSort'), { key: 'subject', desc: false });
  return (
    <section className="panel wide" aria-labelledby="unused-title">
      <h2 id="unused-title">Unused rights</h2>
      <Load value={result}>
        {(data) =>
          data.enabledBy !== undefined ? (
            <p data-testid="unused-enabled-by">
              Rights nobody uses are found from the API server&apos;s audit log: {data.enabledBy}. From the
              command line, <code>palisade rbac suggest --audit-log audit.jsonl</code> also proposes narrower
              roles.
            </p>
          ) : (
            <>
              <p role="status" data-testid="unused-count">
                {data.rights.length} rules held and not used in {data.auditLog ?? 'the audit log'}
                {data.truncated ? ' (list cut at 2,000)' : ''}.
              </p>
              <DataTable
                caption="Rights not used in the audit window"
                testId="unused-table"
                columns={UNUSED_COLUMNS}
                rows={sortRows(data.rights, UNUSED_COLUMNS, sort)}
                rowKey={(r) => `${r.subject}|${r.namespace}|${r.rule}`}
                sort={sort}
                onSort={(s) => {
                  set({ unusedSort: formatSort(s) });
                }}
                empty="Every right held was used."
              />
            </>
          )
        }
      </Load>
    </section>
  );
}

/** RBAC: who-can explorer, escalation paths as a graph, and unused rights from the audit log. */
export function RbacPage(): ReactNode {
  return (
    <>
      <h1>RBAC</h1>
      <div className="grid">
        <WhoCan />
        <Escalation />
        <Unused />
      </div>
    </>
  );
}
