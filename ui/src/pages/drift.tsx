import type { ReactNode } from 'react';
import { apiPath, useApi } from '../api.js';
import { Load, SeverityBadge, When } from '../components/common.js';
import { DataTable, formatSort, parseSort, sortRows, type Column } from '../components/table.js';
import { formatScore, objectName } from '../format.js';
import { severityRank } from '../components/common.js';
import { useParams } from '../router.js';
import type { DriftFinding, DriftResponse, Scan, ScansResponse } from '../types.js';

const COLUMNS: Column<DriftFinding>[] = [
  {
    key: 'severity',
    header: 'Severity',
    render: (f) => <SeverityBadge severity={f.severity} />,
    sortValue: (f) => severityRank(f.severity),
  },
  {
    key: 'control',
    header: 'Control',
    render: (f) => <code>{f.controlId}</code>,
    sortValue: (f) => f.controlId,
  },
  { key: 'object', header: 'Object', render: (f) => objectName(f), sortValue: (f) => objectName(f) },
];

function scanLabel(s: Scan): string {
  return `#${s.id} ${new Date(s.time).toLocaleString()}`;
}

function ScanCard({ scan, title }: { scan: Scan; title: string }): ReactNode {
  return (
    <div className="card wide-card">
      <h3>
        {title}: scan #{scan.id}
      </h3>
      <p>
        <When at={scan.time} /> · {scan.resources} objects · {scan.findings} open findings
      </p>
      <p className="muted">{scan.scores.map((s) => `${s.framework} ${formatScore(s.score)}`).join(' · ')}</p>
    </div>
  );
}

type ImagesChange = NonNullable<DriftResponse['images']>;

/** `Deployment shop/web` and the container. */
function containerLabel(c: { kind: string; namespace: string; name: string; container: string }): string {
  return `${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name} · ${c.container}`;
}

/** An image reference, with the digest when it is known and not already in the reference. */
function ImageRef({ image }: { image: { image: string; digest?: string | undefined } }): ReactNode {
  return (
    <code title={image.digest ?? image.image}>
      {image.image}
      {image.digest !== undefined && !image.image.includes(image.digest)
        ? ` (${image.digest.slice(0, 19)}…)`
        : ''}
    </code>
  );
}

/** The images each workload container runs: changed, added and removed between the scans. */
function ImagesDrift({ images }: { images: ImagesChange }): ReactNode {
  return (
    <section className="panel" aria-labelledby="images-drift-title" data-testid="drift-images">
      <h2 id="images-drift-title">Images changed</h2>
      <p className="muted">
        {images.changed.length} changed, {images.added.length} added, {images.removed.length} removed
      </p>
      <ul className="plain">
        {images.changed.map((c) => (
          <li key={`~${containerLabel(c)}`}>
            ~ {containerLabel(c)}: <ImageRef image={c.from} /> → <ImageRef image={c.to} />
          </li>
        ))}
        {images.added.map((c) => (
          <li key={`+${containerLabel(c)}`} className="added">
            + {containerLabel(c)}: <ImageRef image={c} />
          </li>
        ))}
        {images.removed.map((c) => (
          <li key={`-${containerLabel(c)}`} className="removed">
            − {containerLabel(c)}: <ImageRef image={c} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function DriftBody({ data }: { data: DriftResponse }): ReactNode {
  const { get, set } = useParams();
  const bSort = parseSort(get('bsort'), { key: 'severity', desc: false });
  const hSort = parseSort(get('hsort'), { key: 'severity', desc: false });
  return (
    <>
      <div className="side-by-side" data-testid="drift">
        <section className="panel" aria-labelledby="base-title">
          <h2 id="base-title" className="visually-hidden">
            Base scan
          </h2>
          <ScanCard scan={data.base} title="Base" />
          <h3>Only in the base (closed since): {data.findings.closed.length}</h3>
          <DataTable
            caption="Findings closed since the base scan"
            testId="drift-closed"
            columns={COLUMNS}
            rows={sortRows(data.findings.closed, COLUMNS, bSort)}
            rowKey={(f) => f.fingerprint}
            sort={bSort}
            onSort={(s) => {
              set({ bsort: formatSort(s) });
            }}
            empty="Nothing closed."
          />
        </section>
        <section className="panel" aria-labelledby="head-title">
          <h2 id="head-title" className="visually-hidden">
            Head scan
          </h2>
          <ScanCard scan={data.head} title="Head" />
          <h3>Only in the head (opened since): {data.findings.opened.length}</h3>
          <DataTable
            caption="Findings opened since the base scan"
            testId="drift-opened"
            columns={COLUMNS}
            rows={sortRows(data.findings.opened, COLUMNS, hSort)}
            rowKey={(f) => f.fingerprint}
            sort={hSort}
            onSort={(s) => {
              set({ hsort: formatSort(s) });
            }}
            empty="Nothing opened."
          />
        </section>
      </div>
      <p>{data.findings.unchanged} findings in both scans.</p>
      {data.rbac && data.rbac.length > 0 ? (
        <section className="panel" aria-labelledby="rbac-drift-title">
          <h2 id="rbac-drift-title">RBAC changes</h2>
          <ul className="plain">
            {data.rbac.map((r) => (
              <li key={r.subject}>
                <strong>{r.subject}</strong>: {r.gained.length} rules gained, {r.lost.length} lost
                <ul>
                  {r.gained.map((g, i) => (
                    <li key={`g${i}`} className="added">
                      + {g.rule} {g.namespace ? `in ${g.namespace}` : 'cluster-wide'} via {g.via}
                    </li>
                  ))}
                  {r.lost.map((g, i) => (
                    <li key={`l${i}`} className="removed">
                      − {g.rule} {g.namespace ? `in ${g.namespace}` : 'cluster-wide'} via {g.via}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {data.reachability && data.reachability.added.length + data.reachability.removed.length > 0 ? (
        <section className="panel" aria-labelledby="reach-drift-title">
          <h2 id="reach-drift-title">Reachability changes</h2>
          <ul className="plain">
            {data.reachability.added.map((c) => (
              <li key={`+${c.src}>${c.dst}`} className="added">
                + {c.src} → {c.dst}: {c.conn}
              </li>
            ))}
            {data.reachability.removed.map((c) => (
              <li key={`-${c.src}>${c.dst}`} className="removed">
                − {c.src} → {c.dst}: {c.conn}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {data.images &&
      data.images.changed.length + data.images.added.length + data.images.removed.length > 0 ? (
        <ImagesDrift images={data.images} />
      ) : null}
      {data.notes.length > 0 ? (
        <ul className="muted">
          {data.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

/** Drift: two scans side by side (by default the latest and the one before it). */
export function DriftPage(): ReactNode {
  const { get, set } = useParams();
  const scans = useApi<ScansResponse>(apiPath('scans', { limit: 100 }));
  const drift = useApi<DriftResponse>(apiPath('drift', { base: get('base'), head: get('head') }));
  const options = scans.state === 'ok' ? scans.data.items : [];
  const picker = (key: 'base' | 'head', label: string): ReactNode => (
    <label>
      {label}
      <select
        name={key}
        value={get(key)}
        onChange={(e) => {
          set({ [key]: e.target.value });
        }}
      >
        <option value="">{key === 'head' ? 'latest' : 'the one before'}</option>
        {options.map((s) => (
          <option key={s.id} value={String(s.id)}>
            {scanLabel(s)}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <>
      <h1>Drift</h1>
      <div className="filters">
        {picker('base', 'Base scan')}
        {picker('head', 'Head scan')}
      </div>
      <Load value={drift}>{(data) => <DriftBody data={data} />}</Load>
    </>
  );
}
