// What every call leaves behind: one analytics record, with Apigee's names for
// its fields (the Analytics reference's dimensions and metrics), so that the
// structured log line, the Logs Insights queries and the /stats API speak the
// same language. Proxy calls and connector resource calls share the shape;
// connector calls add the element and instance.

/** One proxied call. Latencies in milliseconds, sizes in bytes, times in epoch ms. */
export interface CallRecord {
  /** When the request arrived (Apigee's client_received_start_timestamp). */
  timestamp: number;
  message_id: string;
  organization: string;
  environment: string;
  apiproxy: string;
  apiproxy_revision: string;
  proxy_basepath: string;
  proxy_pathsuffix: string;
  request_verb: string;
  response_status_code: number;
  /** Absent when no target was called. */
  target_response_code?: number;
  target_host?: string;
  /** 1 for a response with status 400 or above. */
  is_error: 0 | 1;
  /** 1 when a policy faulted the call. */
  policy_error: 0 | 1;
  /** 1 when the target answered 5xx or could not be reached. */
  target_error: 0 | 1;
  /** Apigee's fault code (`steps.oauth.v2.InvalidAccessToken`), when the call faulted. */
  ax_edge_execution_fault_code?: string;
  /** The policy that faulted, when one did. */
  ax_execution_fault_policy_name?: string;
  total_response_time: number;
  /** Absent when no target was called. */
  target_response_time?: number;
  request_size: number;
  response_size: number;
  client_ip: string;
  useragent?: string;
  developer_email?: string;
  developer_app?: string;
  api_product?: string;
  /** The consumer key the call presented (never in rollups' logs as anything but the key itself: it is an identifier, not a secret). */
  client_id?: string;
  /** StatisticsCollector's custom dimensions and metrics. */
  custom?: Record<string, string | number>;
}

/** One connector resource call (Open Connectors' usage record). */
export interface ConnectorCallRecord {
  timestamp: number;
  request_id: string;
  organization: string;
  element_key: string;
  element_name: string;
  instance_id: number;
  instance_tags: string[];
  request_verb: string;
  /** The resource path after /elements/api-v2 (`/contacts/123`). */
  request_uri: string;
  response_status_code: number;
  total_response_time: number;
  client_ip: string;
}

/** `is_error` as Apigee defines it: any response with status 400 or above. */
export const isErrorStatus = (status: number): 0 | 1 => (status >= 400 ? 1 : 0);
