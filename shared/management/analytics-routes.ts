// Analytics and trace on Apigee Edge paths:
//   GET    /v1/organizations/{org}/environments/{env}/stats[/{dimensions}]
//   POST   .../environments/{env}/apis/{api}/revisions/{rev}/debugsessions?session=..&timeout=..
//   GET    .../debugsessions                      active sessions (names)
//   GET    .../debugsessions/{session}            the session
//   DELETE .../debugsessions/{session}
//   GET    .../debugsessions/{session}/data       captured transaction ids
//   GET    .../debugsessions/{session}/data/{id}  one transaction
// Stats and trace data are read access (the readonly role may read them);
// trace data is masked for every caller, so no route here returns a secret.
import * as z from 'zod';
import type { PlatformRouter } from '../auth/principal.js';
import { randomUUID } from 'node:crypto';
import { jsonBody } from '../http/body.js';
import { badRequest, notFound } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { created, noContent, ok } from '../http/response.js';
import type { QueryParamDoc } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import {
  createDebugSession,
  DEFAULT_COUNT,
  DEFAULT_TIMEOUT_SECONDS,
  DEFAULT_TRACE_SIZE,
  deleteDebugSession,
  getDebugSession,
  getTransaction,
  listActiveDebugSessions,
  listTransactionIds,
  MAX_COUNT,
  MAX_TIMEOUT_SECONDS,
  MAX_TRACE_SIZE,
  type DebugSessionItem,
} from '../analytics/debug-sessions.js';
import { stats } from '../analytics/stats.js';
import { compileCondition, ConditionSyntaxError } from '../gateway/language/condition.js';
import { assertEnvironment, getDeployment } from '../gateway/stores/deployments.js';

const ENV = '/v1/organizations/:org/environments/:env';
const SESSIONS = `${ENV}/apis/:api/revisions/:rev/debugsessions`;

const STATS_QUERY: Record<string, QueryParamDoc> = {
  select: { description: 'Metrics, comma-separated: `sum(message_count)`, `sum(is_error)`, `sum(policy_error)`, `sum(target_error)`, `avg|min|max(total_response_time)`, `avg|min|max(target_response_time)`, `sum|avg(request_size)`, `sum|avg(response_size)`, `p50|p95|p99(total_response_time)` or `percentile(target_response_time,90)`, `tps`, and StatisticsCollector metrics by name. Default `sum(message_count)`.' },
  timeRange: { description: '`MM/DD/YYYY HH:MM~MM/DD/YYYY HH:MM`, UTC; the end may lie in the future.', required: true },
  timeUnit: { description: 'Bucket the values: `{timestamp, value}` per bucket (UTC; weeks start on Monday).', enum: ['minute', 'hour', 'day', 'week', 'month'] },
  filter: { description: "Apigee's filter: `(response_status_code ge 500)`, `(apiproxy in 'a','b') and (developer_app ne 'x')`; eq ne gt lt ge le in notin like `not like` isnull notnull." },
  sortby: { description: 'The metric to order dimensions by (default: the first selected).' },
  sort: { description: 'ASC or DESC (default DESC).', enum: ['ASC', 'DESC'] },
  topk: { description: 'Only the k dimension values with the highest sortby metric.' },
  limit: { description: 'Dimension values per response (default 1000).' },
  offset: { description: 'Dimension values to skip.' },
  tsAscending: { description: '`true` lists timestamps oldest first (default false, as Apigee).' },
};

const STATS_DESCRIPTION =
  'Apigee\'s stats API over per-minute, per-hour and per-day rollups (kept 30 days by default; `TOLLGATE_ANALYTICS_RETENTION_DAYS`). ' +
  'Dimensions: `apis`/`apiproxy`, `apiproducts`/`api_product`, `apps`/`developer_app`, `devs`/`developer_email`, `client_id`, `response_status_code`, ' +
  '`target_response_code`, `proxy_pathsuffix`, `proxy_basepath`, `target_host`, `request_verb`, `apiproxy_revision`, `ax_execution_fault_policy_name`, ' +
  '`ax_edge_execution_fault_code`, StatisticsCollector dimensions by name; comma-separate several. `is_error` counts responses with status 400 or above. ' +
  'Percentiles, min and max come from a log-bucketed sketch and are within 1% of the exact values. Records reach the rollups within the flush interval ' +
  '(`TOLLGATE_ANALYTICS_FLUSH_MS`, 30 s on AWS).';

const sessionBody = z.lazy(() => z
  .object({
    name: z.string().optional(),
    filter: z.string().max(2048).optional(),
    count: z.number().int().optional(),
    tracesize: z.number().int().optional(),
    timeout: z.union([z.string(), z.number()]).optional(),
    validity: z.number().int().optional(),
  })
  .partial());

function revisionOf(request: HttpRequest): number {
  const rev = request.params.rev ?? '';
  if (!/^\d{1,6}$/.test(rev)) throw notFound(`Revision ${rev} does not exist`, 'messaging.config.beans.RevisionDoesNotExist');
  return Number(rev);
}

function bounded(value: string | number | undefined | null, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw badRequest(`${name} must be a whole number from ${min} to ${max}`, `invalid_${name}`);
  return number;
}

/** Apigee Edge's filters, `header_{name}=value` and `qparam_{name}=value`, from the query string. */
function edgeFilters(query: URLSearchParams, prefix: string, lowerCase: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of query) {
    if (!name.startsWith(prefix) || name.length === prefix.length) continue;
    if (Object.keys(out).length >= 10) throw badRequest('At most 10 header and 10 query parameter filters', 'invalid_filter');
    const key = name.slice(prefix.length);
    out[lowerCase ? key.toLowerCase() : key] = value;
  }
  return out;
}

function sessionView(item: DebugSessionItem) {
  return {
    name: item.name,
    validity: Math.max(0, Math.round((item.endsAt - Date.now()) / 1000)),
    timeout: String(item.timeoutSeconds),
    count: item.count,
    tracesize: item.tracesize,
    ...(item.filter ? { filter: item.filter } : {}),
    ...(Object.keys(item.headers).length ? { headerFilters: item.headers } : {}),
    ...(Object.keys(item.queryParams).length ? { queryParamFilters: item.queryParams } : {}),
    captured: item.captured,
    createTime: item.createdAt,
    active: item.endsAt > Date.now(),
  };
}

async function requireSession(rt: Runtime, org: string, request: HttpRequest): Promise<DebugSessionItem> {
  const session = await getDebugSession(rt, org, request.params.env!, request.params.api!, revisionOf(request), request.params.session!);
  if (!session) throw notFound(`Debug session ${request.params.session} does not exist`, 'debugsession.SessionDoesNotExist');
  return session;
}

export function registerAnalyticsRoutes(router: PlatformRouter): void {
  const analytics = router.group({ tag: 'Analytics' });
  const statsRoute = async (request: HttpRequest, rt: Runtime, organization: string) => {
    await assertEnvironment(rt, organization, request.params.env!);
    return ok(await stats(rt, organization, request.params.env!, request.params.dimension, request.query), { 'cache-control': 'no-store' });
  };
  analytics.get(
    `${ENV}/stats`,
    { operationId: 'getEnvironmentStats', summary: 'Metrics of an environment', description: STATS_DESCRIPTION, query: STATS_QUERY },
    (request, rt, { organization }) => statsRoute(request, rt, organization),
  );
  analytics.get(
    `${ENV}/stats/:dimension`,
    {
      operationId: 'getStatsByDimension',
      summary: 'Metrics grouped by dimensions',
      description: STATS_DESCRIPTION,
      query: STATS_QUERY,
      params: { dimension: 'One dimension or several, comma-separated (`apis,response_status_code`).' },
    },
    (request, rt, { organization }) => statsRoute(request, rt, organization),
  );

  const trace = router.group({ tag: 'Trace' });
  trace.post(
    SESSIONS,
    {
      operationId: 'createDebugSession',
      summary: 'Start a debug (trace) session on a deployed revision',
      description:
        'Apigee Edge\'s query parameters: `session` (the name; generated when absent), `timeout` (seconds, at most 600, default 600), ' +
        '`header_{name}={value}` and `qparam_{name}={value}` filters; or Apigee X\'s body `{name, filter, count, tracesize, timeout}` where ' +
        '`filter` is a condition over the request. Every runtime container starts capturing within seconds; at most `count` calls (default 20) ' +
        'are captured across all of them. Captured data is masked and kept 24 hours (`TOLLGATE_TRACE_RETENTION_HOURS`).',
      bodyOptional: true,
      body: sessionBody,
      query: {
        session: { description: 'The session name.' },
        timeout: { description: 'Seconds until the session stops capturing (1-600, default 600).' },
        'header_{name}': { description: 'Capture only requests with this header value.' },
        'qparam_{name}': { description: 'Capture only requests with this query parameter value.' },
      },
      responses: { 201: 'The session.' },
    },
    async (request, rt, { organization }) => {
      const { env, api } = request.params as { env: string; api: string };
      const revision = revisionOf(request);
      await assertEnvironment(rt, organization, env);
      const deployment = await getDeployment(rt, organization, env, api);
      if (!deployment || deployment.revision !== revision) {
        throw badRequest(`Revision ${revision} of ${api} is not deployed in ${env}`, 'distribution.RevisionNotDeployed');
      }
      const body = request.body.length > 0 ? jsonBody(request, sessionBody) : {};
      const name = request.query.get('session') ?? body.name ?? randomUUID();
      if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw badRequest('session names are 1-100 letters, digits, ".", "_" or "-"', 'invalid_session');
      const filter = body.filter?.trim() || undefined;
      if (filter) {
        try {
          compileCondition(filter);
        } catch (error) {
          throw badRequest(`filter is not a valid condition: ${error instanceof ConditionSyntaxError ? error.message : String(error)}`, 'invalid_filter');
        }
      }
      const item = await createDebugSession(rt, {
        organization,
        environment: env,
        api,
        revision,
        name,
        timeoutSeconds: bounded(request.query.get('timeout') ?? body.timeout ?? body.validity, 'timeout', DEFAULT_TIMEOUT_SECONDS, 1, MAX_TIMEOUT_SECONDS),
        count: bounded(request.query.get('count') ?? body.count, 'count', DEFAULT_COUNT, 1, MAX_COUNT),
        tracesize: bounded(request.query.get('tracesize') ?? body.tracesize, 'tracesize', DEFAULT_TRACE_SIZE, 0, MAX_TRACE_SIZE),
        ...(filter ? { filter } : {}),
        headers: edgeFilters(request.query, 'header_', true),
        queryParams: edgeFilters(request.query, 'qparam_', false),
      });
      return created(sessionView(item));
    },
  );
  trace.get(SESSIONS, { operationId: 'listDebugSessions', summary: 'Active debug sessions of a revision (names)' }, async (request, rt, { organization }) => {
    const sessions = await listActiveDebugSessions(rt, organization, request.params.env!, request.params.api!, revisionOf(request));
    return ok(sessions.map((session) => session.name));
  });
  trace.get(`${SESSIONS}/:session`, { operationId: 'getDebugSession', summary: 'A debug session' }, async (request, rt, { organization }) => {
    return ok(sessionView(await requireSession(rt, organization, request)));
  });
  trace.delete(`${SESSIONS}/:session`, { operationId: 'deleteDebugSession', summary: 'Stop a debug session and delete its data', responses: { 204: 'Deleted.' } }, async (request, rt, { organization }) => {
    const deleted = await deleteDebugSession(rt, organization, request.params.env!, request.params.api!, revisionOf(request), request.params.session!);
    if (!deleted) throw notFound(`Debug session ${request.params.session} does not exist`, 'debugsession.SessionDoesNotExist');
    return noContent();
  });
  trace.get(
    `${SESSIONS}/:session/data`,
    { operationId: 'listDebugTransactions', summary: 'Ids of the captured transactions, oldest first', description: 'As Apigee Edge lists them: an array of transaction ids.' },
    async (request, rt, { organization }) => {
      const session = await requireSession(rt, organization, request);
      return ok(await listTransactionIds(rt, organization, session.environment, session.api, session.revision, session.name), { 'cache-control': 'no-store' });
    },
  );
  trace.get(
    `${SESSIONS}/:session/data/:transaction`,
    {
      operationId: 'getDebugTransaction',
      summary: 'One captured transaction',
      description:
        'Apigee\'s debug data: `{completed, point: [{id, results}]}` with StateChange (request and response at the proxy request, target request, ' +
        'target response and proxy response), FlowInfo, Condition, Execution (policy type and name, executed or skipped, elapsed time, the variables read ' +
        'and set) and Error points. Authorization and API-key headers, token and secret parameters, consumer keys, `private.*` variables and values of ' +
        'encrypted key value maps read `*****`.',
    },
    async (request, rt, { organization }) => {
      const session = await requireSession(rt, organization, request);
      const data = await getTransaction(rt, organization, session.environment, session.api, session.revision, session.name, request.params.transaction!);
      if (data === undefined) throw notFound(`Transaction ${request.params.transaction} does not exist`, 'debugsession.TransactionDoesNotExist');
      return ok(data, { 'cache-control': 'no-store' });
    },
  );
}
