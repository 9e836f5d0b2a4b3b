// The analytics record of a finished exchange: what the engine measured
// (latencies, target status, fault) and what policies found out (developer,
// app, product, consumer key, StatisticsCollector's values), in Apigee's names.
// Read with `peek`, so that building it never shows up in a trace.
import { isErrorStatus, type CallRecord } from '../../analytics/record.js';
import type { Exchange } from '../engine/exchange.js';

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Target URL -> host; target URLs of deployed proxies are few. */
const hosts = new Map<string, string>();

function hostOf(url: string): string | undefined {
  let host = hosts.get(url);
  if (host === undefined) {
    try {
      host = new URL(url).host;
    } catch {
      return undefined;
    }
    if (hosts.size >= 1_000) hosts.clear();
    hosts.set(url, host);
  }
  return host;
}

const text = (value: unknown): string | undefined => (value === undefined || value === null || value === '' ? undefined : String(value));

function suffixOf(path: string, basePath: string): string {
  if (basePath === '/') return path;
  const suffix = path.startsWith(basePath) ? path.slice(basePath.length) : path;
  return suffix || '/';
}

export function callRecord(exchange: Exchange, finishedAt = performance.now()): CallRecord {
  const { context, response, fault } = exchange;
  const status = response.status;
  const reachedTarget = exchange.targetSentAt !== undefined;
  const record: CallRecord = {
    timestamp: exchange.startedAt,
    message_id: exchange.messageId,
    organization: context.organization,
    environment: context.environment,
    apiproxy: context.apiName,
    apiproxy_revision: String(context.revision),
    proxy_basepath: context.basePath,
    proxy_pathsuffix: suffixOf(exchange.received.path, context.basePath),
    request_verb: exchange.received.verb,
    response_status_code: status,
    is_error: isErrorStatus(status),
    policy_error: fault?.policyName && fault.faultName !== 'ErrorResponseCode' ? 1 : 0,
    target_error: reachedTarget && (exchange.targetStatus === undefined || exchange.targetStatus >= 500) ? 1 : 0,
    total_response_time: round(finishedAt - exchange.receivedAt),
    request_size: exchange.received.size,
    response_size: response.body.length,
    client_ip: context.clientIp,
  };
  if (exchange.targetStatus !== undefined) record.target_response_code = exchange.targetStatus;
  if (reachedTarget && exchange.targetReceivedAt !== undefined) record.target_response_time = round(exchange.targetReceivedAt - exchange.targetSentAt!);
  const targetHost = reachedTarget && exchange.targetUrl ? hostOf(exchange.targetUrl) : undefined;
  if (targetHost) record.target_host = targetHost;
  if (fault) {
    record.ax_edge_execution_fault_code = fault.errorCode;
    if (fault.policyName) record.ax_execution_fault_policy_name = fault.policyName;
  }
  const userAgent = exchange.request.headers.get('user-agent');
  if (userAgent) record.useragent = userAgent;
  const developer = text(exchange.peek('developer.email'));
  if (developer) record.developer_email = developer;
  const app = text(exchange.peek('developer.app.name'));
  if (app) record.developer_app = app;
  const product = text(exchange.peek('apiproduct.name'));
  if (product) record.api_product = product;
  const clientId = text(exchange.peek('client_id'));
  if (clientId) record.client_id = clientId;
  // A boolean statistic is a dimension like a string one: `true` or `false`.
  if (exchange.statistics.size > 0) {
    record.custom = Object.fromEntries([...exchange.statistics].map(([name, value]) => [name, typeof value === 'boolean' ? String(value) : value]));
  }
  return record;
}
