// Open Connectors' usage API: the organization's connector resource calls
// (analytics/usage.ts). Registered before the resource-call catch-all, so
// `/elements/api-v2/usage` is this API and not a vendor path.
import type { PlatformRouter } from '../auth/principal.js';
import { getUsage, listUsage, usageAnalytics } from '../analytics/usage.js';
import { ok } from '../http/response.js';
import type { QueryParamDoc } from '../http/router.js';

const BASE = '/elements/api-v2/usage';

const FILTERS: Record<string, QueryParamDoc> = {
  from: { description: 'Start: a date (`YYYY-MM-DD`) or an ISO date-time (default: the retention period ago). 404 when it lies in the future.' },
  to: { description: 'End: a date (the whole day counts) or an ISO date-time (default: now).' },
  'keys[]': { description: 'Only calls through instances of these element keys.' },
  'tags[]': { description: 'Only calls through instances with one of these tags.' },
  status: { description: '`success` (status below 400) or `failed`.', enum: ['success', 'failed'] },
  searchText: { description: 'Only calls whose resource path contains this text.' },
};

export function registerUsageRoutes(router: PlatformRouter): void {
  const usage = router.group({ tag: 'Usage', auth: 'platform', errors: 'connectors' });
  usage.get(
    BASE,
    {
      operationId: 'listUsage',
      summary: 'Connector resource calls, newest first',
      description: 'One record per resource call through an instance, kept 30 days (`TOLLGATE_ANALYTICS_RETENTION_DAYS`); records appear within the flush interval.',
      query: {
        ...FILTERS,
        pageSize: { description: 'Records per page, 1-500 (default 200).' },
        pageOffset: { description: 'Records to skip.' },
        nextPage: { description: 'The `elements-next-page-token` of the previous page.' },
      },
      responses: { 200: { description: 'The records.', headers: { 'elements-next-page-token': 'Token of the next page, when there is one.' } } },
    },
    async (request, rt, { organization }) => {
      const page = await listUsage(rt, organization, request.query);
      return ok(page.records, { 'cache-control': 'no-store', ...(page.nextPage ? { 'elements-next-page-token': page.nextPage } : {}) });
    },
  );
  for (const kind of ['times', 'statuses'] as const) {
    usage.get(
      `${BASE}/analytics/${kind}`,
      {
        operationId: kind === 'times' ? 'getUsageResponseTimes' : 'getUsageStatuses',
        summary: kind === 'times' ? 'Calls and response times per interval' : 'Calls per outcome and status code per interval',
        query: { ...FILTERS, interval: { description: 'Bucket size (default day).', enum: ['minute', 'hour', 'day', 'week', 'month'] } },
        responses: { 200: kind === 'times' ? '`[{timestamp, count, average, min, max}]` (milliseconds).' : '`[{timestamp, count, success, failed, statuses}]`.' },
      },
      async (request, rt, { organization }) => ok(await usageAnalytics(rt, organization, kind, request.query), { 'cache-control': 'no-store' }),
    );
  }
  usage.get(
    `${BASE}/:id`,
    { operationId: 'getUsage', summary: 'One resource call by its request id', params: { id: 'The `traffic_id` (the call\'s request id).' } },
    async (request, rt, { organization }) => ok(await getUsage(rt, organization, request.params.id!)),
  );
}
