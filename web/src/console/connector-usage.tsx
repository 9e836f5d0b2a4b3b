// Connectors' activity: the organization's connector resource calls from Open
// Connectors' usage API, newest first, filtered by element, outcome and path,
// a page at a time (the API's next-page token).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import type { ApiError } from '../lib/api.js';
import { asApiError, ErrorAlert, Field, FormActions, PageHeader, Table, useForm } from '../lib/ui.js';
import { withPlatformCredentials } from './connectors.js';

interface UsageRecord {
  traffic_id: string;
  traffic_date: string;
  process_time: number;
  request_status: 'success' | 'failed';
  response_status_code: number;
  request_method: string;
  request_uri: string;
  element_key: string;
  instance_id: number;
}

const PAGE_SIZE = 50;
type Filters = { key: string; status: string; search: string };

function query(filters: Filters, nextPage?: string): string {
  const params = new URLSearchParams({ pageSize: String(PAGE_SIZE) });
  if (filters.key.trim()) params.append('keys[]', filters.key.trim());
  if (filters.status) params.set('status', filters.status);
  if (filters.search.trim()) params.set('searchText', filters.search.trim());
  if (nextPage) params.set('nextPage', nextPage);
  return `/elements/api-v2/usage?${params}`;
}

function ConnectorActivity() {
  const form = useForm<Filters>({ key: '', status: '', search: '' });
  const [records, setRecords] = useState<UsageRecord[]>();
  const [next, setNext] = useState<string>();
  const [moreError, setMoreError] = useState<ApiError>();
  const load = async (filters: Filters, after?: string) => {
    const response = await api<Response>('GET', query(filters, after), { raw: true });
    const page = (await response.json()) as UsageRecord[];
    setRecords((previous) => (after ? [...(previous ?? []), ...page] : page));
    setNext(response.headers.get('elements-next-page-token') ?? undefined);
  };
  const search = form.submit((filters) => load(filters));
  useEffect(() => {
    void search();
  }, []);
  return (
    <>
      <PageHeader title="Connector activity" />
      <form class="card" onSubmit={search} noValidate aria-label="Filter connector calls">
        <div class="row">
          <Field label="Element key" path="keys" error={form.error} placeholder="sfdc" {...form.bind('key')} />
          <Field label="Outcome" path="status" error={form.error} options={[['', 'All'], ['success', 'Succeeded'], ['failed', 'Failed']]} {...form.bind('status')} />
          <Field label="Path contains" path="searchText" error={form.error} {...form.bind('search')} />
        </div>
        <ErrorAlert error={form.error} claimed={['keys', 'status', 'searchText']} />
        <FormActions submit="Show calls" busy={form.busy} />
      </form>
      {records ? (
        <Table caption="Connector calls, newest first" columns={['Time (UTC)', 'Element', 'Instance', 'Call', 'Status', 'Time']}>
          {records.map((record) => (
            <tr key={record.traffic_id}>
              <td>{record.traffic_date.slice(0, 19).replace('T', ' ')}</td>
              <td>{record.element_key}</td>
              <td>{record.instance_id}</td>
              <td>
                <code>
                  {record.request_method} {record.request_uri}
                </code>
              </td>
              <td>
                <span class={record.request_status === 'failed' ? 'badge warn' : 'badge'}>{record.response_status_code}</span>
              </td>
              <td>{record.process_time} ms</td>
            </tr>
          ))}
          {records.length === 0 ? (
            <tr>
              <td colSpan={6} class="muted">
                No connector calls match.
              </td>
            </tr>
          ) : null}
        </Table>
      ) : null}
      <ErrorAlert error={moreError} />
      {next ? (
        <button type="button" onClick={() => load(form.values, next).then(() => setMoreError(undefined), (error: unknown) => setMoreError(asApiError(error)))}>
          Show more
        </button>
      ) : null}
    </>
  );
}

export const ConnectorActivityPage = withPlatformCredentials(ConnectorActivity);
