// Analyze: an environment's traffic over a period from Apigee's stats API:
// totals (calls, errors, response times), calls and errors per time bucket,
// and the same metrics per proxy, product, app, developer, status, path or
// target, busiest first.
import { useState } from 'preact/hooks';
import { api, enc, orgPath } from '../lib/api.js';
import { Field, LoadState, PageHeader, Table, useLoad } from '../lib/ui.js';

interface Metric {
  name: string;
  values: (string | { timestamp: number; value: string })[];
}

interface StatsAnswer {
  environments: { name: string; metrics?: Metric[]; dimensions?: { name: string; metrics: Metric[] }[] }[];
}

const PERIODS = {
  hour: { label: 'Last hour', ms: 3_600_000, timeUnit: 'minute' },
  day: { label: 'Last 24 hours', ms: 86_400_000, timeUnit: 'hour' },
  week: { label: 'Last 7 days', ms: 7 * 86_400_000, timeUnit: 'day' },
  month: { label: 'Last 30 days', ms: 30 * 86_400_000, timeUnit: 'day' },
} as const;
type Period = keyof typeof PERIODS;

const DIMENSIONS: [string, string][] = [
  ['apis', 'API proxy'],
  ['apiproducts', 'API product'],
  ['developer_app', 'Application'],
  ['developer_email', 'Developer'],
  ['response_status_code', 'Response status'],
  ['proxy_pathsuffix', 'Path suffix'],
  ['target_host', 'Target host'],
  ['request_verb', 'Verb'],
  ['ax_execution_fault_policy_name', 'Failing policy'],
];

const COLUMNS: [metric: string, label: string, unit?: string][] = [
  ['sum(message_count)', 'Calls'],
  ['sum(is_error)', 'Errors'],
  ['avg(total_response_time)', 'Avg response', 'ms'],
  ['p95(total_response_time)', 'p95 response', 'ms'],
  ['avg(target_response_time)', 'Avg target', 'ms'],
];
const SELECT = COLUMNS.map(([metric]) => metric).join(',');

const pad = (n: number) => String(n).padStart(2, '0');
/** Apigee's `MM/DD/YYYY HH:MM`, UTC. */
const apigeeTime = (ms: number) => {
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
};

/** The period ending at the next whole minute (the end may lie in the future). */
function timeRange(period: Period): string {
  const end = Math.ceil((Date.now() + 1) / 60_000) * 60_000;
  return `${apigeeTime(end - PERIODS[period].ms)}~${apigeeTime(end)}`;
}

const single = (metric: Metric | undefined) => Number(metric?.values[0] ?? 0);
const format = (value: number, unit?: string) => (unit ? `${value.toLocaleString('en', { maximumFractionDigits: 1 })} ${unit}` : value.toLocaleString('en'));

function stats(env: string, dimension: string, params: Record<string, string>) {
  return api<StatsAnswer>('GET', `${orgPath(`/environments/${enc(env)}/stats${dimension ? `/${enc(dimension)}` : ''}`)}?${new URLSearchParams(params)}`);
}

export function AnalyzePage() {
  const [env, setEnv] = useState('prod');
  const [period, setPeriod] = useState<Period>('day');
  const [dimension, setDimension] = useState('apis');
  const [tick, setTick] = useState(0);
  const environments = useLoad(() => api<string[]>('GET', orgPath('/environments')));
  const totals = useLoad(() => stats(env, '', { select: SELECT, timeRange: timeRange(period) }), [env, period, tick]);
  const series = useLoad(
    () => stats(env, '', { select: 'sum(message_count),sum(is_error)', timeRange: timeRange(period), timeUnit: PERIODS[period].timeUnit, tsAscending: 'true' }),
    [env, period, tick],
  );
  const rows = useLoad(() => stats(env, dimension, { select: SELECT, timeRange: timeRange(period), sortby: 'sum(message_count)', sort: 'DESC', limit: '50' }), [env, period, dimension, tick]);
  const total = totals.data?.environments[0]?.metrics;
  const calls = single(total?.[0]);
  const errors = single(total?.[1]);
  const dimensionLabel = DIMENSIONS.find(([value]) => value === dimension)?.[1] ?? dimension;
  return (
    <>
      <PageHeader title="API traffic">
        <button type="button" onClick={() => setTick((n) => n + 1)}>
          Refresh
        </button>
      </PageHeader>
      <div class="row">
        <Field label="Environment" path="environment" options={environments.data ?? ['prod', 'test']} value={env} onInput={(event) => setEnv(event.currentTarget.value)} />
        <Field label="Period" path="period" options={Object.entries(PERIODS).map(([value, { label }]): [string, string] => [value, label])} value={period} onInput={(event) => setPeriod(event.currentTarget.value as Period)} />
      </div>
      <p class="hint note">Calls show here within the flush interval of the runtime (30 seconds on AWS, 5 locally). Times are UTC.</p>
      <LoadState load={totals} />
      {total ? (
        <section aria-label="Totals">
          <dl class="kpis">
            <div>
              <dt>Calls</dt>
              <dd data-testid="total-calls">{format(calls)}</dd>
            </div>
            <div>
              <dt>Errors</dt>
              <dd data-testid="total-errors">
                {format(errors)} {calls ? <span class="muted">({((errors / calls) * 100).toFixed(1)}%)</span> : null}
              </dd>
            </div>
            {COLUMNS.slice(2).map(([metric, label, unit], i) => (
              <div key={metric}>
                <dt>{label}</dt>
                <dd>{format(single(total[i + 2]), unit)}</dd>
              </div>
            ))}
          </dl>
        </section>
      ) : null}
      {series.data ? <TrafficChart metrics={series.data.environments[0]?.metrics ?? []} period={period} /> : null}
      <div class="row">
        <Field label="Group by" path="dimension" options={DIMENSIONS} value={dimension} onInput={(event) => setDimension(event.currentTarget.value)} />
      </div>
      <LoadState load={rows} />
      {rows.data ? (
        <Table caption={`Traffic by ${dimensionLabel}`} columns={[dimensionLabel, ...COLUMNS.map(([, label]) => label)]}>
          {(rows.data.environments[0]?.dimensions ?? []).map((row) => (
            <tr key={row.name}>
              <td>{row.name}</td>
              {COLUMNS.map(([metric, , unit], i) => (
                <td key={metric}>{format(single(row.metrics[i]), unit)}</td>
              ))}
            </tr>
          ))}
          {rows.data.environments[0]?.dimensions?.length ? null : (
            <tr>
              <td colSpan={COLUMNS.length + 1} class="muted">
                No calls in this period.
              </td>
            </tr>
          )}
        </Table>
      ) : null}
    </>
  );
}

const CHART = { width: 720, height: 140 };
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Calls per bucket of the whole period as bars (quiet buckets stay empty), errors as the bars' darker part; each bar's title reads its time and counts. */
function TrafficChart({ metrics, period }: { metrics: Metric[]; period: Period }) {
  const { timeUnit, ms } = PERIODS[period];
  const unit = UNIT_MS[timeUnit];
  const counts = (metric: Metric | undefined) => new Map((metric?.values ?? []).flatMap((v) => (typeof v === 'string' ? [] : [[v.timestamp, Number(v.value)] as const])));
  const calls = counts(metrics[0]);
  const errors = counts(metrics[1]);
  const last = Math.floor(Date.now() / unit) * unit;
  const times = Array.from({ length: Math.round(ms / unit) }, (_, i) => last - (Math.round(ms / unit) - 1 - i) * unit);
  const peak = Math.max(...calls.values(), 1);
  const slot = CHART.width / times.length;
  const bar = Math.max(1, slot * 0.8);
  const label = (t: number) => (timeUnit === 'day' ? new Date(t).toISOString().slice(0, 10) : new Date(t).toISOString().slice(5, 16).replace('T', ' '));
  const sum = [...calls.values()].reduce((a, b) => a + b, 0);
  return (
    <figure class="chart card">
      <figcaption>
        Calls per {timeUnit} (UTC), errors darker; peak {format(peak)}
      </figcaption>
      <svg viewBox={`0 0 ${CHART.width} ${CHART.height}`} role="img" aria-label={`${format(sum)} calls in the period, at most ${format(calls.size ? peak : 0)} in one ${timeUnit}`}>
        {times.map((t, i) => {
          const height = ((calls.get(t) ?? 0) / peak) * CHART.height;
          const errorHeight = ((errors.get(t) ?? 0) / peak) * CHART.height;
          return height > 0 ? (
            <g key={t}>
              <title>{`${label(t)}: ${format(calls.get(t)!)} calls, ${format(errors.get(t) ?? 0)} errors`}</title>
              <rect class="bar" x={i * slot} y={CHART.height - height} width={bar} height={height} />
              <rect class="bar-error" x={i * slot} y={CHART.height - errorHeight} width={bar} height={errorHeight} />
            </g>
          ) : null;
        })}
        <line class="baseline" x1={0} y1={CHART.height} x2={CHART.width} y2={CHART.height} />
      </svg>
      <div class="chart-axis">
        <span>{label(times[0]!)}</span>
        <span>{label(times[times.length - 1]!)}</span>
      </div>
    </figure>
  );
}
