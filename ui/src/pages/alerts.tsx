import type { ReactNode } from 'react';
import { apiPath, useApi } from '../api.js';
import { Load, SelectFilter, SEVERITIES, SeverityBadge, severityRank, When } from '../components/common.js';
import { DataTable, formatSort, parseSort, sortRows, type Column } from '../components/table.js';
import { useParams } from '../router.js';
import type { AlertsResponse } from '../types.js';

type Alert = AlertsResponse['items'][number];

const COLUMNS: Column<Alert>[] = [
  { key: 'time', header: 'Time', render: (a) => <When at={a.time} />, sortValue: (a) => a.time },
  {
    key: 'severity',
    header: 'Severity',
    render: (a) => <SeverityBadge severity={a.severity} />,
    sortValue: (a) => severityRank(a.severity),
  },
  { key: 'rule', header: 'Rule', render: (a) => <code>{a.rule}</code>, sortValue: (a) => a.rule },
  { key: 'subject', header: 'Who', render: (a) => a.subject, sortValue: (a) => a.subject },
  { key: 'target', header: 'What', render: (a) => a.target, sortValue: (a) => a.target },
  { key: 'message', header: 'Message', render: (a) => a.message },
  { key: 'mitre', header: 'ATT&CK', render: (a) => a.mitre ?? '–', sortValue: (a) => a.mitre ?? '' },
];

/** Alerts: detection alerts from the audit trail, or what fills the list. */
export function AlertsPage(): ReactNode {
  const alerts = useApi<AlertsResponse>(apiPath('alerts'));
  const { get, set } = useParams();
  const sort = parseSort(get('sort'), { key: 'time', desc: true });
  const severity = get('severity');
  return (
    <>
      <h1>Alerts</h1>
      <Load value={alerts}>
        {(data) =>
          !data.enabled || data.items.length === 0 ? (
            <p className="panel" data-testid="alerts-enable">
              No alerts yet. {data.enabledBy}
            </p>
          ) : (
            <>
              <div className="filters">
                <SelectFilter
                  label="Severity"
                  name="severity"
                  value={severity}
                  options={SEVERITIES}
                  onChange={(v) => {
                    set({ severity: v });
                  }}
                />
              </div>
              <DataTable
                caption="Detection alerts"
                testId="alerts-table"
                columns={COLUMNS}
                rows={sortRows(
                  data.items.filter((a) => severity === '' || a.severity === severity),
                  COLUMNS,
                  sort,
                )}
                rowKey={(a) => String(a.id)}
                sort={sort}
                onSort={(s) => {
                  set({ sort: formatSort(s) });
                }}
              />
            </>
          )
        }
      </Load>
    </>
  );
}
