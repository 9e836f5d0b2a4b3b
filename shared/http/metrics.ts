// Per-function request metrics in CloudWatch Embedded Metric Format, built
// with Powertools: one EMF record per invocation, which CloudWatch Logs turns
// into metrics without any API call from the function. When the access log is
// on, the record rides in the access-log line (one line per invocation);
// otherwise it is a line of its own. The stack's alarms and
// dashboard read these names (infra/observability.ts).
//
// Off unless running in Lambda: locally and in tests nothing is written, so
// output stays clean. POWERTOOLS_METRICS_DISABLED, when set, decides either
// way (`false` turns them on locally to see the lines).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describeError, logger } from '../log.js';

export const METRICS_NAMESPACE = 'Tollgate';
/** Dimension naming the function; Powertools adds `service` (POWERTOOLS_SERVICE_NAME). */
export const FUNCTION_DIMENSION = 'function';
export const METRIC = {
  requests: 'Requests',
  /** 1 for a 4xx response, else 0: the Average is the 4xx rate, the Sum the count. */
  clientErrors: '4xx',
  serverErrors: '5xx',
  latency: 'Latency',
  /** 1 on the first invocation of a container. */
  coldStart: 'ColdStart',
} as const;

const TRUE = /^(1|true|yes|on)$/i;

export function metricsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const explicit = env.POWERTOOLS_METRICS_DISABLED;
  if (explicit !== undefined && explicit.trim() !== '') return !TRUE.test(explicit.trim());
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME) && !TRUE.test(env.POWERTOOLS_DEV ?? '');
}

export class RequestMetrics {
  private metrics: Metrics | undefined;
  private coldStart = true;
  /** What every warm record repeats: the directive (namespace, dimension sets, metric names and units) and the dimension values. */
  private warm: { directives: unknown; dimensions: Record<string, unknown> } | undefined;
  private readonly serviceName: string;
  readonly enabled: boolean;

  constructor(
    readonly functionName: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.enabled = metricsEnabled(env);
    this.serviceName = env.POWERTOOLS_SERVICE_NAME || 'tollgate';
  }

  /** Records one request and writes it as a line of its own: a single JSON.stringify and stdout write on the warm path. */
  record(status: number, latencyMs: number): void {
    if (!this.enabled) return;
    try {
      this.store(status, latencyMs).publishStoredMetrics();
    } catch (error) {
      // Metrics are observability, never a reason to fail a request.
      logger.warn('metrics not recorded', { error: describeError(error) });
    }
  }

  /**
   * Records one request and hands back its EMF record (the `_aws` directive,
   * the dimensions and the values) for a line that carries other fields too;
   * undefined when metrics are off. Powertools builds the first warm record;
   * later ones reuse its directive and dimensions (they never change within a
   * container) with the invocation's timestamp and values.
   */
  take(status: number, latencyMs: number): Record<string, unknown> | undefined {
    if (!this.enabled) return undefined;
    if (this.warm) {
      return {
        _aws: { Timestamp: Date.now(), CloudWatchMetrics: this.warm.directives },
        ...this.warm.dimensions,
        [METRIC.requests]: 1,
        [METRIC.clientErrors]: status >= 400 && status < 500 ? 1 : 0,
        [METRIC.serverErrors]: status >= 500 ? 1 : 0,
        [METRIC.latency]: latencyMs,
      };
    }
    try {
      const cold = this.coldStart;
      const metrics = this.store(status, latencyMs);
      const record = metrics.serializeMetrics() as unknown as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown } };
      metrics.clearMetrics();
      if (!cold) {
        const { _aws, ...rest } = record;
        const values = new Set<string>(Object.values(METRIC));
        this.warm = { directives: _aws.CloudWatchMetrics, dimensions: Object.fromEntries(Object.entries(rest).filter(([key]) => !values.has(key))) };
      }
      return record;
    } catch (error) {
      logger.warn('metrics not recorded', { error: describeError(error) });
      return undefined;
    }
  }

  private store(status: number, latencyMs: number): Metrics {
    this.metrics ??= new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: this.serviceName,
      defaultDimensions: { [FUNCTION_DIMENSION]: this.functionName },
    });
    const metrics = this.metrics;
    metrics.addMetric(METRIC.requests, MetricUnit.Count, 1);
    metrics.addMetric(METRIC.clientErrors, MetricUnit.Count, status >= 400 && status < 500 ? 1 : 0);
    metrics.addMetric(METRIC.serverErrors, MetricUnit.Count, status >= 500 ? 1 : 0);
    metrics.addMetric(METRIC.latency, MetricUnit.Milliseconds, latencyMs);
    if (this.coldStart) {
      metrics.addMetric(METRIC.coldStart, MetricUnit.Count, 1);
      this.coldStart = false;
    }
    return metrics;
  }
}
