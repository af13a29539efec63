import { type ReactNode } from 'react';
import { apiPath, useApi } from '../api.js';
import {
  Load,
  SearchBox,
  SelectFilter,
  SEVERITIES,
  SeverityBadge,
  severityRank,
  When,
} from '../components/common.js';
import { DataTable, formatSort, parseSort, sortRows, type Column } from '../components/table.js';
import { useParams } from '../router.js';
import type { ImagesResponse, ImageVulnerabilitiesResponse } from '../types.js';

type Image = ImagesResponse['items'][number];
type Vulnerability = ImageVulnerabilitiesResponse['items'][number];

/** `sha256:4b1c…` short form; the full digest is in the tooltip. */
function ShortDigest({ digest }: { digest: string }): ReactNode {
  const [algo, hex] = digest.includes(':') ? digest.split(':', 2) : ['', digest];
  return (
    <code title={digest}>
      {algo ? `${algo}:` : ''}
      {(hex ?? '').slice(0, 12)}
    </code>
  );
}

function imageColumns(select: (id: number) => void, selected: number | undefined): Column<Image>[] {
  const count = (key: keyof Image['bySeverity'], header: string): Column<Image> => ({
    key,
    header,
    render: (i) => i.bySeverity[key],
    sortValue: (i) => i.bySeverity[key],
    className: 'num',
  });
  return [
    {
      key: 'ref',
      header: 'Image',
      render: (i) => (
        <button
          type="button"
          className="link-button"
          aria-pressed={selected === i.id}
          data-testid="image-select"
          onClick={() => {
            select(i.id);
          }}
        >
          <code>{i.ref}</code>
        </button>
      ),
      sortValue: (i) => i.ref,
    },
    { key: 'digest', header: 'Digest', render: (i) => <ShortDigest digest={i.digest} /> },
    {
      key: 'scannedAt',
      header: 'Scanned',
      render: (i) => <When at={i.scannedAt} />,
      sortValue: (i) => i.scannedAt,
    },
    count('critical', 'Critical'),
    count('high', 'High'),
    count('medium', 'Medium'),
    count('low', 'Low'),
    {
      key: 'suppressed',
      header: 'Suppressed (VEX)',
      render: (i) => i.suppressed ?? 0,
      sortValue: (i) => i.suppressed ?? 0,
      className: 'num',
    },
    {
      key: 'packages',
      header: 'Packages',
      render: (i) => i.packages,
      sortValue: (i) => i.packages,
      className: 'num',
    },
  ];
}

const VULN_COLUMNS: Column<Vulnerability>[] = [
  {
    key: 'severity',
    header: 'Severity',
    render: (v) => <SeverityBadge severity={v.severity} />,
    sortValue: (v) => severityRank(v.severity),
  },
  {
    key: 'id',
    header: 'Vulnerability',
    render: (v) => (
      <>
        <code>{v.id}</code>
        {v.aliases.length > 0 ? <span className="muted"> ({v.aliases.join(', ')})</span> : null}
      </>
    ),
    sortValue: (v) => v.id,
  },
  { key: 'package', header: 'Package', render: (v) => v.package, sortValue: (v) => v.package },
  { key: 'version', header: 'Installed', render: (v) => <code>{v.version}</code> },
  {
    key: 'fixedVersion',
    header: 'Fixed in',
    render: (v) =>
      v.fixedVersion !== undefined ? <code>{v.fixedVersion}</code> : <span className="muted">no fix</span>,
    sortValue: (v) => v.fixedVersion ?? '',
  },
  {
    key: 'cvss',
    header: 'CVSS',
    render: (v) => (v.cvss !== undefined ? v.cvss.toFixed(1) : '–'),
    sortValue: (v) => v.cvss ?? -1,
    className: 'num',
  },
  {
    key: 'location',
    header: 'Location (layer:path)',
    className: 'where',
    render: (v) => <code title={v.location}>{shortLocation(v.location)}</code>,
  },
  {
    key: 'vex',
    header: 'VEX',
    render: (v) =>
      v.suppressed ? (
        <span className="suppressed" data-testid="vex-suppressed">
          suppressed: {v.suppressed.justification || 'not affected'}
        </span>
      ) : (
        '–'
      ),
    sortValue: (v) => (v.suppressed ? 1 : 0),
  },
];

/** `sha256:<64 hex>:/path` with the digest shortened (the tooltip keeps it whole). */
function shortLocation(location: string): string {
  const m = /^(sha256:[0-9a-f]{12})[0-9a-f]{52}(:.*)$/.exec(location);
  return m ? `${m[1] ?? ''}…${m[2] ?? ''}` : location;
}

/** One image: what was scanned, and its vulnerabilities filtered on the server. */
function ImageDetail({ image }: { image: string }): ReactNode {
  const { get, set } = useParams();
  const sort = parseSort(get('vsort'), { key: 'severity', desc: false });
  const yesNo = (v: string): string | undefined => (v === 'yes' ? 'true' : v === 'no' ? 'false' : undefined);
  const data = useApi<ImageVulnerabilitiesResponse>(
    apiPath('images/vulnerabilities', {
      image: image === '' ? undefined : image,
      severity: get('severity') || undefined,
      package: get('package') || undefined,
      fixable: yesNo(get('fixable')),
      suppressed: yesNo(get('suppressed')),
      limit: 500,
    }),
  );
  return (
    <Load value={data}>
      {(d) =>
        d.image === null ? null : (
          <section className="panel" aria-labelledby="image-title" data-testid="image-detail">
            <h2 id="image-title">
              <code>{d.image.ref}</code>
            </h2>
            <p className="muted">
              <ShortDigest digest={d.image.digest} /> · scanned <When at={d.image.scannedAt} /> ·{' '}
              {d.image.os ?? 'OS unknown'}
              {d.image.platform !== undefined ? ` · ${d.image.platform}` : ''} · {d.image.packages} packages
              {d.image.layers !== undefined ? ` in ${d.image.layers} layers` : ''}
              {d.image.vulnDbTime !== undefined ? (
                <>
                  {' '}
                  · vulnerability database of <When at={d.image.vulnDbTime} />
                </>
              ) : (
                ' · vulnerabilities not looked up'
              )}
            </p>
            <div className="filters">
              <SelectFilter
                label="Severity"
                name="severity"
                value={get('severity')}
                options={SEVERITIES}
                onChange={(v) => {
                  set({ severity: v });
                }}
              />
              <SearchBox
                label="Package"
                name="package"
                placeholder="name contains"
                value={get('package')}
                onChange={(v) => {
                  set({ package: v });
                }}
              />
              <SelectFilter
                label="Fixable"
                name="fixable"
                value={get('fixable')}
                options={['yes', 'no']}
                onChange={(v) => {
                  set({ fixable: v });
                }}
              />
              <SelectFilter
                label="Suppressed by VEX"
                name="suppressed"
                value={get('suppressed')}
                options={['yes', 'no']}
                onChange={(v) => {
                  set({ suppressed: v });
                }}
              />
            </div>
            <p className="muted" role="status">
              {d.total} vulnerabilit{d.total === 1 ? 'y' : 'ies'}
              {d.total > d.items.length ? `, the first ${d.items.length} shown` : ''}
            </p>
            <DataTable
              caption={`Vulnerabilities of ${d.image.ref}`}
              testId="image-vulns-table"
              columns={VULN_COLUMNS}
              rows={sortRows(d.items, VULN_COLUMNS, sort)}
              rowKey={(v) => `${v.id}\u0000${v.package}\u0000${v.location}`}
              sort={sort}
              onSort={(s) => {
                set({ vsort: formatSort(s) });
              }}
              empty="No vulnerability matches these filters."
            />
          </section>
        )
      }
    </Load>
  );
}

/** Images: scanned images and their vulnerabilities, or what fills the list. */
export function ImagesPage(): ReactNode {
  const images = useApi<ImagesResponse>(apiPath('images'));
  const { get, set } = useParams();
  const sort = parseSort(get('sort'), { key: 'critical', desc: true });
  const selected = get('image');
  const columns = imageColumns(
    (id) => {
      set({ image: String(id) });
    },
    selected === '' ? undefined : Number(selected),
  );
  return (
    <>
      <h1>Images</h1>
      <Load value={images}>
        {(data) =>
          !data.enabled || data.items.length === 0 ? (
            <p className="panel" data-testid="images-enable">
              No image results yet. {data.enabledBy}
            </p>
          ) : (
            <>
              <DataTable
                caption="Scanned images, the newest scan of each digest"
                testId="images-table"
                columns={columns}
                rows={sortRows(data.items, columns, sort)}
                rowKey={(i) => String(i.id)}
                sort={sort}
                onSort={(s) => {
                  set({ sort: formatSort(s) });
                }}
              />
              <ImageDetail image={selected} />
            </>
          )
        }
      </Load>
    </>
  );
}
