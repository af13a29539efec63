import type { ReactNode } from 'react';
import { apiPath, useApi } from '../api.js';
import { Load, When } from '../components/common.js';
import { DataTable, formatSort, parseSort, sortRows, type Column } from '../components/table.js';
import { useParams } from '../router.js';
import type { ImagesResponse } from '../types.js';

type Image = ImagesResponse['items'][number];

const COLUMNS: Column<Image>[] = [
  { key: 'ref', header: 'Image', render: (i) => <code>{i.ref}</code>, sortValue: (i) => i.ref },
  {
    key: 'critical',
    header: 'Critical',
    render: (i) => i.bySeverity.critical,
    sortValue: (i) => i.bySeverity.critical,
    className: 'num',
  },
  {
    key: 'high',
    header: 'High',
    render: (i) => i.bySeverity.high,
    sortValue: (i) => i.bySeverity.high,
    className: 'num',
  },
  {
    key: 'medium',
    header: 'Medium',
    render: (i) => i.bySeverity.medium,
    sortValue: (i) => i.bySeverity.medium,
    className: 'num',
  },
  {
    key: 'packages',
    header: 'Packages',
    render: (i) => i.packages,
    sortValue: (i) => i.packages,
    className: 'num',
  },
  {
    key: 'scannedAt',
    header: 'Scanned',
    render: (i) => <When at={i.scannedAt} />,
    sortValue: (i) => i.scannedAt,
  },
];

/** Images: scanned images and their vulnerabilities, or what fills the list. */
export function ImagesPage(): ReactNode {
  const images = useApi<ImagesResponse>(apiPath('images'));
  const { get, set } = useParams();
  const sort = parseSort(get('sort'), { key: 'critical', desc: true });
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
            <DataTable
              caption="Scanned images"
              testId="images-table"
              columns={COLUMNS}
              rows={sortRows(data.items, COLUMNS, sort)}
              rowKey={(i) => String(i.id)}
              sort={sort}
              onSort={(s) => {
                set({ sort: formatSort(s) });
              }}
            />
          )
        }
      </Load>
    </>
  );
}
